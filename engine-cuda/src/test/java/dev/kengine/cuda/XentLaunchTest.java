package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every softmax cross-entropy kernel the driver can choose is in the fat binaries, for every row
 * length from 1 to beyond the register kernels' reach, with labels and with targets: a missing
 * one (a name the manifest's pattern did not see, say) shows here and not first on a GPU.
 */
class XentLaunchTest {
    private static final long[] ROWS = {1, 7, 600, 65_536, 1L << 22};

    @Test
    void everyChosenKernelIsBuiltAndItsGridFits() {
        CudaKernels.Manifest manifest = CudaKernels.manifest();
        Assumptions.assumeTrue(manifest.built(), () -> "kernels not built: " + manifest.problem());
        for (boolean tuned : new boolean[] {true, false}) {
            for (boolean labels : new boolean[] {true, false}) {
                for (long cols = 1; cols <= 40_000; cols += cols < 300 ? 1 : cols < 9000 ? 7 : 997) {
                    for (long rows : ROWS) {
                        for (int sms : new int[] {1, 132}) {
                            CudaDriver.XentLaunch x = CudaDriver.xentLaunch(tuned, labels, rows, cols, sms, 32L * sms);
                            String at = x + " for " + rows + " x " + cols + (labels ? " labels" : " targets");
                            assertNotNull(manifest.moduleOf(x.kernel()), "no module holds " + at);
                            assertTrue(x.threads() == 128 || x.threads() == 256 || x.threads() == 1024, at);
                            assertTrue(x.blocks() >= 1 && x.blocks() <= Integer.MAX_VALUE, at);
                            assertTrue(x.partials() >= 1 && x.partials() <= rows, "partials fit the scratch of one per row: " + at);
                        }
                    }
                }
            }
        }
        // Rows of 2^31 columns or more go to the block kernel, whose columns are 64-bit; so do rows whose 32-bit column
        // counter would wrap on its last step of 1024.
        assertTrue(CudaDriver.xentLaunch(true, true, 1, 1L << 31, 132, 4224).kernel().equals("kc_xent_block"));
        assertTrue(CudaDriver.xentLaunch(true, true, 1, Integer.MAX_VALUE - 3, 132, 4224).kernel().equals("kc_xent_block"));
        assertTrue(CudaDriver.xentLaunch(true, true, 1, Integer.MAX_VALUE - 1024, 132, 4224).kernel()
                .equals("kc_xent_stream1024"));
    }

    @Test
    void theImageADeviceLoads() {
        CudaKernels.Manifest m = new CudaKernels.Manifest(java.util.Map.of(), "75 80 86 90", "compute_90", "", "", null);
        org.junit.jupiter.api.Assertions.assertEquals(90, m.loadedArch(9, 0));
        org.junit.jupiter.api.Assertions.assertEquals(86, m.loadedArch(8, 9), "the newest SASS of its major");
        org.junit.jupiter.api.Assertions.assertEquals(90, m.loadedArch(12, 0), "PTX for a newer major");
        CudaKernels.Manifest old = new CudaKernels.Manifest(java.util.Map.of(), "75", "compute_75", "", "", null);
        org.junit.jupiter.api.Assertions.assertEquals(75, old.loadedArch(9, 0), "a Hopper JIT-compiles compute_75: no TF32");
        org.junit.jupiter.api.Assertions.assertEquals(-1, old.loadedArch(7, 0), "nothing for 7.0");
    }
}
