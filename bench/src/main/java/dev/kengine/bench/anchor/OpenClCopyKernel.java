package dev.kengine.bench.anchor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The OpenCL copy ceiling: a plain copy kernel, one float4 per work-item, run by a small C harness
 * ({@code src/main/c/opencl_copy.c}) on the device the CLBlast harness picks. Plain on purpose: the
 * engine's OpenCL rows are judged against what the device does with the simplest kernel, not against
 * the engine's own kernels and launch shapes.
 */
public final class OpenClCopyKernel {
    private static final String SOURCE = "c/opencl_copy.c";

    /** The device the kernel ran on ("platform / device") and the median bandwidth, 8 bytes counted per float. */
    public record Result(String device, double gbs, double[] seconds) {}

    private OpenClCopyKernel() {}

    /**
     * Copies {@code floats} floats {@code repetitions} times (after two warm-up runs).
     *
     * @throws IOException with the reason, for the report, when the harness cannot be built or run
     */
    public static Result measure(Path work, long floats, int repetitions) throws IOException {
        Path exe = CHarness.build(SOURCE, work, List.of("-lOpenCL"));
        CHarness.Output out = CHarness.run(List.of(exe.toString(), Long.toString(floats), Integer.toString(repetitions)),
                work, 60);
        String device = null;
        for (String line : out.text().split("\n")) {
            if (line.startsWith("error ")) {
                throw new IOException(line.substring(6));
            } else if (line.startsWith("device ")) {
                device = line.substring(7).trim();
            } else if (line.startsWith("ok ") && device != null) {
                try {
                    double[] v = Arrays.stream(line.substring(3).trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
                    if (v.length < 2 || !(v[0] > 0) || Double.isInfinite(v[0])) {
                        throw new NumberFormatException("no finite bandwidth");
                    }
                    return new Result(device, v[0], Arrays.copyOfRange(v, 1, v.length));
                } catch (NumberFormatException e) {
                    throw new IOException("the copy harness printed an unreadable result '" + line + "'");
                }
            }
        }
        throw new IOException("the copy harness printed no result (exit " + out.exit() + ")");
    }
}
