package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.op.Op;
import dev.kengine.spi.Capabilities;
import org.junit.jupiter.api.Test;

/**
 * PoCL 5 gets every op: its 5.0 (an H100 machine's) once crashed building the softmax cross-entropy, the
 * restructured kernel then passed the kit's losses there, and every other class had passed before (no OpenCL needed).
 */
class PoclVersionTest {
    private static DeviceInfo device(String platformVersion) {
        return new DeviceInfo(0, 0, null, null, "Portable Computing Language", "The pocl project", platformVersion,
                "cpu-haswell-Some CPU", "GenuineIntel", "OpenCL 3.0 PoCL HSTR: cpu-x86_64", "5.0+debian", "OpenCL C 1.2 PoCL",
                org.jocl.CL.CL_DEVICE_TYPE_CPU, 1L << 30, 1L << 28, 8, 4096, 1L << 20, true);
    }

    @Test
    void everyOpIsOnWhateverPoclsVersion() {
        for (String version : new String[] {"OpenCL 3.0 PoCL 5.0+debian  Linux, LLVM 16.0.6",
                "OpenCL 3.0 PoCL 3.1+debian  Linux, LLVM 15.0.6"}) {
            Capabilities c = OpenClDriver.capabilitiesOf(device(version));
            for (Op op : Op.values()) {
                assertTrue(c.supports(op), op + " on " + version);
            }
        }
    }
}
