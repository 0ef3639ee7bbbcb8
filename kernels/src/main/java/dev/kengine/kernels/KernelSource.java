package dev.kengine.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Assembles a kernel family into one compilable text: the defines (tunables; each family file
 * has a default for every one), then the dialect preamble, then the common preamble, then the
 * family's body. The dialect preamble comes before the common one because the common helpers
 * are written in the small vocabulary it defines ({@code kuint}, {@code K_FN}, {@code K_DMUL}).
 * The result is named after the family and the SHA-256 of the text, which is what caches key on.
 */
public final class KernelSource {
    private static final String BASE = "/dev/kengine/kernels/";
    private static final String COMMON = "common.h";
    private static final Pattern KERNEL = Pattern.compile("__kernel\\s+(?:__launch_bounds__\\s*\\([^)]*\\)\\s+)?void\\s+(\\w+)\\s*\\(");
    private static final Pattern DEFINE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Map<String, String> RESOURCES = new ConcurrentHashMap<>();

    private KernelSource() {}

    /** One assembled program text. */
    public record Assembled(KernelFamily family, Dialect dialect, Map<String, String> defines, String text,
                            String sha256) {

        /** A stable, file-name-safe name: family, dialect and the first 16 hex digits of the hash. */
        public String name() {
            return family.shortName() + "-" + dialect.name().toLowerCase(java.util.Locale.ROOT) + "-" + sha256.substring(0, 16);
        }

        /** The names of the kernels ({@code __kernel void name(...)}) in the text, in order. */
        public List<String> kernelNames() {
            return KernelSource.kernelNames(text);
        }
    }

    /** Assembles {@code family} for {@code dialect} with no defines (every tunable at its default). */
    public static Assembled assemble(KernelFamily family, Dialect dialect) {
        return assemble(family, dialect, Map.of());
    }

    /** Assembles {@code family} for {@code dialect}; {@code defines} (name to value) come first, in iteration order. */
    public static Assembled assemble(KernelFamily family, Dialect dialect, Map<String, String> defines) {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(dialect, "dialect");
        return assembleText(family, dialect, defines, resource(family.fileName()));
    }

    /**
     * Assembles an arbitrary body (for tests and experiments) as if it were {@code family}'s file.
     * The defines, preambles, naming and hashing are the same as for the real file.
     */
    public static Assembled assembleText(KernelFamily family, Dialect dialect, Map<String, String> defines, String body) {
        Map<String, String> defs = new LinkedHashMap<>(defines);
        StringBuilder sb = new StringBuilder(body.length() + 16384);
        sb.append("/* kengine kernel family '").append(family.shortName()).append("', dialect ").append(dialect).append(" */\n");
        for (Map.Entry<String, String> d : defs.entrySet()) {
            if (!DEFINE_NAME.matcher(d.getKey()).matches()) {
                throw new IllegalArgumentException("not a macro name: '" + d.getKey() + "'");
            }
            String value = d.getValue() == null ? "" : d.getValue();
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("define " + d.getKey() + " has a line break in its value");
            }
            sb.append("#define ").append(d.getKey()).append(' ').append(value).append('\n');
        }
        sb.append("\n/* ---- ").append(dialect.preambleResource()).append(" ---- */\n");
        sb.append(resource(dialect.preambleResource()));
        sb.append("\n/* ---- ").append(COMMON).append(" ---- */\n");
        sb.append(resource(COMMON));
        sb.append("\n/* ---- ").append(family.fileName()).append(" ---- */\n");
        sb.append(body);
        String text = sb.toString();
        return new Assembled(family, dialect, Map.copyOf(defs), text, sha256(text));
    }

    /**
     * The kernel of elementwise.cl that casts between float32 and a half type without k_cast's per-element dtype
     * branches, for the dtypes' names ({@code FLOAT32}, {@code FLOAT16}, {@code BFLOAT16}).
     *
     * @param from the source dtype's name
     * @param to the destination dtype's name
     * @return the kernel's name, or null when the pair needs the general {@code k_cast}
     */
    public static String directCastKernel(String from, String to) {
        String key = from + ">" + to;
        return switch (key) {
            case "FLOAT32>BFLOAT16" -> "k_cast_f32_bf16";
            case "BFLOAT16>FLOAT32" -> "k_cast_bf16_f32";
            case "FLOAT32>FLOAT16" -> "k_cast_f32_f16";
            case "FLOAT16>FLOAT32" -> "k_cast_f16_f32";
            default -> null;
        };
    }

    /**
     * The kernel of optim.cl that takes one mixed-precision optimiser step: float32 master weights and state, the
     * gradient in {@code grad}, and w's copy rounded to {@code half} (none when null), for the dtypes' names as in
     * {@link #directCastKernel}.
     *
     * @param optimiser {@code "sgd"} or {@code "adam"}
     * @param grad the gradient's dtype name: FLOAT32, FLOAT16 or BFLOAT16
     * @param half the copy's dtype name, FLOAT16 or BFLOAT16, or null for no copy
     * @return the kernel's name
     * @throws IllegalArgumentException for float32 without a copy (the plain k_sgd and k_adam) or another dtype
     */
    public static String mixedStepKernel(String optimiser, String grad, String half) {
        String g = halfSuffix(grad);
        String h = half == null ? "none" : halfSuffix(half);
        if (g.equals("f32") && h.equals("none") || h.equals("f32")) {
            throw new IllegalArgumentException("no mixed-precision step for gradient " + grad + " and copy " + half);
        }
        return "k_" + optimiser + "_mixed_" + g + "_" + h;
    }

    private static String halfSuffix(String dtype) {
        return switch (dtype) {
            case "FLOAT32" -> "f32";
            case "FLOAT16" -> "f16";
            case "BFLOAT16" -> "bf16";
            default -> throw new IllegalArgumentException("no mixed-precision step in " + dtype);
        };
    }

    /** The kernel names declared in a text. */
    public static List<String> kernelNames(String text) {
        List<String> names = new ArrayList<>();
        Matcher m = KERNEL.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The raw text of a resource in this package (a family file or a preamble). */
    public static String resource(String name) {
        return RESOURCES.computeIfAbsent(name, KernelSource::load);
    }

    private static String load(String name) {
        try (InputStream in = KernelSource.class.getResourceAsStream(BASE + name)) {
            if (in == null) {
                throw new IllegalStateException("kernel resource " + BASE + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel resource " + BASE + name, e);
        }
    }

    /** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Lower-case hex SHA-256 of bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
