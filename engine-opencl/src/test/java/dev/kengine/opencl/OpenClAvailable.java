package dev.kengine.opencl;

import dev.kengine.spi.Availability;
import org.junit.jupiter.api.Assumptions;

/** Skips the calling test class, loudly, when OpenCL cannot run here. */
final class OpenClAvailable {
    private OpenClAvailable() {}

    static void assumeAvailable(String testClass) {
        Availability a = new OpenClProvider().probe();
        if (!a.available()) {
            String msg = "*** " + testClass + " SKIPPED: OpenCL backend unavailable: " + a.reason()
                    + " (run scripts/install-opencl.sh to install PoCL)";
            System.err.println(msg);
            System.out.println(msg);
            Assumptions.abort(msg);
        }
    }
}
