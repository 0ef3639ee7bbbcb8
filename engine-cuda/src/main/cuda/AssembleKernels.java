import dev.kengine.kernels.Dialect;
import dev.kengine.kernels.KernelFamily;
import dev.kengine.kernels.KernelSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Build-time helper, run by build-fatbin.sh with Java's source launcher (the module's own classes are
 * not compiled yet in generate-resources): writes every kernel family assembled for the CUDA dialect by
 * the kernels module's own loader, so the CUDA backend compiles exactly the text the OpenCL backend
 * does, and every CUDA-specific source of src/main/cuda (*.cu) behind the same preambles
 * (dialect_cuda.h, then common.h). Usage: java -cp KERNELS AssembleKernels.java CUDA_SRC_DIR OUT_DIR.
 * Writes OUT_DIR/NAME.cu and OUT_DIR/modules.txt, one line per module: "NAME kernel1,kernel2,...".
 */
public class AssembleKernels {
    public static void main(String[] args) throws Exception {
        Path cudaDir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        List<String> lines = new ArrayList<>();
        for (KernelFamily f : KernelFamily.values()) {
            // Every tunable at its default: the CUDA driver launches with the defaults' geometry.
            KernelSource.Assembled a = KernelSource.assemble(f, Dialect.CUDA, Map.of());
            lines.add(write(out, f.shortName(), a));
        }
        List<Path> extra;
        try (Stream<Path> s = Files.list(cudaDir)) {
            extra = s.filter(p -> p.getFileName().toString().endsWith(".cu")).sorted().toList();
        }
        for (Path p : extra) {
            String name = p.getFileName().toString().replaceFirst("\\.cu$", "").toLowerCase(Locale.ROOT);
            String body = Files.readString(p, StandardCharsets.UTF_8);
            // The family only names the text in its header comment; the preambles are the same for all.
            KernelSource.Assembled a = KernelSource.assembleText(KernelFamily.ELEMENTWISE, Dialect.CUDA, Map.of(), body);
            lines.add(write(out, name, a));
        }
        Files.write(out.resolve("modules.txt"), lines, StandardCharsets.UTF_8);
    }

    private static String write(Path out, String name, KernelSource.Assembled a) throws Exception {
        Files.writeString(out.resolve(name + ".cu"), a.text(), StandardCharsets.UTF_8);
        List<String> kernels = a.kernelNames();
        if (kernels.isEmpty()) {
            throw new IllegalStateException(name + " declares no kernels");
        }
        return name + " " + String.join(",", kernels);
    }
}
