package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.kernels.Dialect;
import dev.kengine.kernels.KernelFamily;
import dev.kengine.kernels.KernelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kernel family compiles for a device without double precision (no cl_khr_fp64: an embedded GPU, Mesa's
 * llvmpipe by default), in both launch shapes: compiled with clang's OpenCL front end with that extension turned off,
 * which makes any use of {@code double} an error. The devices the tests run on (PoCL) have double precision, so
 * their own compiler cannot show it. Skipped where no clang is installed (PoCL's packages bring one).
 */
class NoFp64CompileTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("every family compiles without cl_khr_fp64, in the CPU and the GPU launch shapes")
    void compilesWithoutDoublePrecision() throws Exception {
        Path clang = clang();
        assumeTrue(clang != null, "no clang with an OpenCL front end here");
        List<String> failures = new ArrayList<>();
        for (boolean cpuShape : new boolean[] {true, false}) {
            for (KernelFamily f : KernelFamily.values()) {
                Map<String, String> defines = new LinkedHashMap<>();
                defines.put("K_OWN_EXP", cpuShape ? "1" : "0");
                defines.put("K_ONE_PER_ITEM", cpuShape ? "1" : "0");
                defines.put("K_ROW_SYNC", cpuShape ? "1" : "0");
                defines.put("K_INDEX32", "1");
                defines.put("K_TAIL", "1");
                if (f == KernelFamily.MATMUL) {
                    defines.putAll(MatmulTuning.DEFAULT.defines());
                }
                KernelSource.Assembled a = KernelSource.assemble(f, Dialect.OPENCL, defines);
                Path src = dir.resolve(f.shortName() + (cpuShape ? "-cpu" : "-gpu") + ".cl");
                Files.writeString(src, a.text());
                Process p = new ProcessBuilder(clang.toString(), "-x", "cl", "-cl-std=CL1.2", "-fsyntax-only",
                        "-Xclang", "-finclude-default-header", "-Xclang", "-cl-ext=-cl_khr_fp64", src.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0) {
                    failures.add(src.getFileName() + ":\n" + out.lines().filter(l -> l.contains("error"))
                            .limit(5).reduce("", (x, y) -> x + "  " + y + "\n"));
                }
            }
        }
        assertEquals(List.of(), failures, String.join("\n", failures));
    }

    /** clang from PATH or the newest /usr/lib/llvm-N/bin/clang; null when there is none. */
    private static Path clang() throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path c = Path.of(dir.isEmpty() ? "." : dir, "clang");
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        Path lib = Path.of("/usr/lib");
        if (!Files.isDirectory(lib)) {
            return null;
        }
        try (Stream<Path> s = Files.list(lib)) {
            return s.filter(d -> d.getFileName().toString().matches("llvm-\\d+"))
                    .sorted(Comparator.comparingInt((Path d) -> Integer.parseInt(d.getFileName().toString().substring(5)))
                            .reversed())
                    .map(d -> d.resolve("bin/clang")).filter(Files::isExecutable).findFirst().orElse(null);
        }
    }
}
