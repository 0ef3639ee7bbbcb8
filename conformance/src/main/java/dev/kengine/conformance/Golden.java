package dev.kengine.conformance;

import dev.kengine.conformance.oracle.RandomOracle;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Golden dropout masks and initial values shipped in the kit's jar, so a backend is checked against
 * fixed bits and not only against code. They were generated once by the kit's oracle; to
 * regenerate (only if the specification changes), run from the repository root:
 * <pre>
 *   java -cp conformance/target/classes:engine-api/target/classes dev.kengine.conformance.Golden \
 *       conformance/src/main/resources/dev/kengine/conformance/golden
 * </pre>
 * Formats, one case a line, '#' starts a comment:
 * {@code dropout-masks.txt}: seed offset p n mask, seed and offset as unsigned hex, the mask as hex
 * digits each holding four elements (bit j = element 4g + j kept);
 * {@code init-values.txt}: kind a b seed offset dims values, dims like 3x4x5 and the values as
 * 8-hex-digit float bit patterns.
 */
public final class Golden {
    static final String DIR = "/dev/kengine/conformance/golden/";

    /**
     * One golden dropout mask.
     *
     * @param seed the key
     * @param offset the stream
     * @param p the drop probability
     * @param n the element count
     * @param kept whether each of the n elements is kept, element i for index i
     */
    public record Mask(long seed, long offset, float p, int n, boolean[] kept) {}

    /**
     * One golden initialisation.
     *
     * @param kind the {@link dev.kengine.op.Init.Kind} constant's name
     * @param a the first parameter (lower bound or mean; 0 for the fan-based kinds)
     * @param b the second parameter (upper bound or standard deviation; 0 for the fan-based kinds)
     * @param seed the key
     * @param offset the stream
     * @param dims the tensor's dimensions
     * @param values the expected values, row-major, bit for bit
     */
    public record InitValues(String kind, double a, double b, long seed, long offset, long[] dims, float[] values) {}

    private Golden() {}

    static final long[][] MASK_CASES = {
        // seed, offset, n, p as raw float bits
        {0L, 0L, 1, Float.floatToIntBits(0.5f)},
        {42L, 0L, 1021, Float.floatToIntBits(0.1f)},
        {42L, 1L, 1025, Float.floatToIntBits(0.5f)},
        {0x9E3779B97F4A7C15L, 0xFFFFFFFF00000003L, 257, Float.floatToIntBits(0.9f)},
        {-1L, 1L << 40, 63, Float.floatToIntBits(0.25f)},
        {123456789L, 7L, 1000, Float.floatToIntBits(0.3f)},
    };

    static final Object[][] INIT_CASES = {
        {"UNIFORM", -0.5, 1.5, 1L, 0L, new long[] {37}},
        {"NORMAL", 0.3, 2.0, 2L, 5L, new long[] {17, 5}},
        {"XAVIER_UNIFORM", 0.0, 0.0, 0x9E3779B97F4A7C15L, 1L << 33, new long[] {7, 13}},
        {"XAVIER_NORMAL", 0.0, 0.0, 3L, 0L, new long[] {3, 4, 5}},
        {"HE_UNIFORM", 0.0, 0.0, -7L, 0xFFFFFFFFFFFFFFFFL, new long[] {2, 3, 2, 3}},
        {"HE_NORMAL", 0.0, 0.0, 1L << 32, 9L, new long[] {4, 2, 3, 3}},
        {"NORMAL", -1.0, 0.01, 77L, 1L, new long[] {1025}},
        {"XAVIER_NORMAL", 0.0, 0.0, 5L, 0L, new long[] {63}},
    };

    /**
     * The golden dropout masks, read from {@code dropout-masks.txt} in the kit's jar.
     *
     * @return a new list, in the file's order
     * @throws IllegalStateException if the file is missing from the jar
     * @throws java.io.UncheckedIOException if it cannot be read
     */
    public static List<Mask> masks() {
        List<Mask> out = new ArrayList<>();
        for (String line : lines("dropout-masks.txt")) {
            String[] f = line.split("\\s+");
            int n = Integer.parseInt(f[3]);
            boolean[] kept = new boolean[n];
            for (int i = 0; i < n; i++) {
                int digit = Character.digit(f[4].charAt(i / 4), 16);
                kept[i] = ((digit >>> (i % 4)) & 1) != 0;
            }
            out.add(new Mask(Long.parseUnsignedLong(f[0], 16), Long.parseUnsignedLong(f[1], 16), Float.parseFloat(f[2]), n, kept));
        }
        return out;
    }

    /**
     * The golden initial values, read from {@code init-values.txt} in the kit's jar.
     *
     * @return a new list, in the file's order
     * @throws IllegalStateException if the file is missing from the jar
     * @throws java.io.UncheckedIOException if it cannot be read
     */
    public static List<InitValues> inits() {
        List<InitValues> out = new ArrayList<>();
        for (String line : lines("init-values.txt")) {
            String[] f = line.split("\\s+");
            String[] d = f[5].split("x");
            long[] dims = new long[d.length];
            long size = 1;
            for (int i = 0; i < d.length; i++) {
                dims[i] = Long.parseLong(d[i]);
                size *= dims[i];
            }
            float[] v = new float[(int) size];
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(f[6].substring(8 * i, 8 * i + 8), 16));
            }
            out.add(new InitValues(f[0], Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Long.parseUnsignedLong(f[3], 16), Long.parseUnsignedLong(f[4], 16), dims, v));
        }
        return out;
    }

    private static List<String> lines(String name) {
        List<String> out = new ArrayList<>();
        try (InputStream in = Golden.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + DIR + name + " is missing from the kit's jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    out.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Writes both golden files into the directory given as the only argument.
     *
     * @param args one argument: the directory, created if missing; existing files are replaced
     * @throws IOException if the directory or a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (PrintStream out = new PrintStream(Files.newOutputStream(dir.resolve("dropout-masks.txt")), true, StandardCharsets.UTF_8)) {
            out.println("# Golden dropout masks (see dev.kengine.conformance.Golden): seed offset p n mask");
            for (long[] c : MASK_CASES) {
                float p = Float.intBitsToFloat((int) c[3]);
                int n = (int) c[2];
                boolean[] kept = RandomOracle.dropoutMask(c[0], c[1], n, p);
                StringBuilder hex = new StringBuilder();
                for (int g = 0; g < (n + 3) / 4; g++) {
                    int digit = 0;
                    for (int j = 0; j < 4 && 4 * g + j < n; j++) {
                        digit |= kept[4 * g + j] ? 1 << j : 0;
                    }
                    hex.append(Character.forDigit(digit, 16));
                }
                out.println(Long.toHexString(c[0]) + " " + Long.toHexString(c[1]) + " " + p + " " + n + " " + hex);
            }
        }
        try (PrintStream out = new PrintStream(Files.newOutputStream(dir.resolve("init-values.txt")), true, StandardCharsets.UTF_8)) {
            out.println("# Golden initial values (see dev.kengine.conformance.Golden): kind a b seed offset dims values");
            for (Object[] c : INIT_CASES) {
                long[] dims = (long[]) c[5];
                int size = 1;
                StringBuilder ds = new StringBuilder();
                for (long d : dims) {
                    size *= (int) d;
                    ds.append(ds.length() == 0 ? "" : "x").append(d);
                }
                RandomOracle.Dist dist = RandomOracle.resolve((String) c[0], (double) c[1], (double) c[2], dims);
                float[] v = RandomOracle.init(dist, size, (long) c[3], (long) c[4]);
                StringBuilder hex = new StringBuilder();
                for (float x : v) {
                    hex.append(String.format(Locale.ROOT, "%08x", Float.floatToRawIntBits(x)));
                }
                out.println(c[0] + " " + c[1] + " " + c[2] + " " + Long.toHexString((long) c[3]) + " " + Long.toHexString((long) c[4])
                        + " " + ds + " " + hex);
            }
        }
    }
}
