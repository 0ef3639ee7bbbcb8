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
        // Rows of 2^31 columns or more go to the block kernel, whose columns are 64-bit.
        assertTrue(CudaDriver.xentLaunch(true, true, 1, 1L << 31, 132, 4224).kernel().equals("kc_xent_block"));
    }
}
