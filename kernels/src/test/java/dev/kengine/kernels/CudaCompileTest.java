package dev.kengine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel family, assembled with the CUDA dialect, compiles with nvcc to PTX for sm_80 and
 * sm_90, and the PTX has an {@code .entry} for every {@code __kernel} of the file. Skipped, with
 * the reason printed, only when nvcc is not on the PATH.
 */
class CudaCompileTest {
    private static Path nvcc;

    @TempDir
    Path dir;

    @BeforeAll
    static void findNvcc() {
        nvcc = findOnPath("nvcc");
        if (nvcc == null) {
            String reason = "CudaCompileTest SKIPPED: nvcc is not on the PATH (" + System.getenv("PATH") + ")";
            System.err.println("*** " + reason);
            Assumptions.abort(reason);
        }
    }

    @ParameterizedTest(name = "{0} compiles as CUDA for sm_80 and sm_90")
    @EnumSource(KernelFamily.class)
    void compilesAsCuda(KernelFamily family) throws Exception {
        KernelSource.Assembled src = KernelSource.assemble(family, Dialect.CUDA);
        List<String> kernels = src.kernelNames();
        assertFalse(kernels.isEmpty(), family + " declares no kernels");
        Path cu = dir.resolve(src.name() + ".cu");
        Files.writeString(cu, src.text(), StandardCharsets.UTF_8);
        for (String arch : List.of("sm_80", "sm_90")) {
            Path ptx = dir.resolve(src.name() + "-" + arch + ".ptx");
            List<String> cmd = List.of(nvcc.toString(), "-arch=" + arch, "--ptx", "-o", ptx.toString(), cu.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("nvcc timed out on " + family + " for " + arch);
            }
            if (p.exitValue() != 0) {
                fail("nvcc failed on " + family + " for " + arch + " (" + String.join(" ", cmd) + "):\n" + out);
            }
            String text = Files.readString(ptx);
            List<String> missing = new ArrayList<>();
            for (String k : kernels) {
                if (!text.matches("(?s).*\\.entry\\s+" + k + "\\s*\\(.*")) {
                    missing.add(k);
                }
            }
            assertTrue(missing.isEmpty(), family + " for " + arch + ": PTX lacks .entry for " + missing + "\n" + out);
        }
    }

    private static Path findOnPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(File.pathSeparator)) {
            Path p = Path.of(d, exe);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
