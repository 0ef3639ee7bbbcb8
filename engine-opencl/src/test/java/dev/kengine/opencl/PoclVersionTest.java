package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.op.Op;
import dev.kengine.spi.Capabilities;
import org.junit.jupiter.api.Test;

/** The softmax cross-entropy stays off on PoCL 5 and later until its kernel has run there (no OpenCL needed). */
class PoclVersionTest {
    private static DeviceInfo device(String platformVersion) {
        return new DeviceInfo(0, 0, null, null, "Portable Computing Language", "The pocl project", platformVersion,
                "cpu-haswell-Some CPU", "GenuineIntel", "OpenCL 3.0 PoCL HSTR: cpu-x86_64", "5.0+debian", "OpenCL C 1.2 PoCL",
                org.jocl.CL.CL_DEVICE_TYPE_CPU, 1L << 30, 1L << 28, 8, 4096, 1L << 20, true);
    }

    @Test
    void readsPoclsMajorVersion() {
        assertEquals(5, OpenClDriver.poclMajor("OpenCL 3.0 PoCL 5.0+debian  Linux, None+Asserts, RELOC, LLVM 16.0.6"));
        assertEquals(3, OpenClDriver.poclMajor("OpenCL 3.0 PoCL 3.1+debian  Linux, None+Asserts, RELOC, LLVM 15.0.6"));
        assertEquals(0, OpenClDriver.poclMajor("OpenCL 3.0 CUDA 13.0.88"));
        assertEquals(0, OpenClDriver.poclMajor(null));
    }

    @Test
    void softmaxCrossEntropyIsOffOnPocl5WithTheReason() {
        Capabilities five = OpenClDriver.capabilitiesOf(device("OpenCL 3.0 PoCL 5.0+debian  Linux, LLVM 16.0.6"));
        assertFalse(five.supports(Op.SOFTMAX_CROSS_ENTROPY));
        assertTrue(five.details().get("unsupported.SOFTMAX_CROSS_ENTROPY").contains("PoCL 5"));
        assertTrue(five.supports(Op.MATMUL));
        Capabilities three = OpenClDriver.capabilitiesOf(device("OpenCL 3.0 PoCL 3.1+debian  Linux, LLVM 15.0.6"));
        assertTrue(three.supports(Op.SOFTMAX_CROSS_ENTROPY));
    }
}
