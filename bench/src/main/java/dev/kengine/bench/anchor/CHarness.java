package dev.kengine.bench.anchor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The small C programs of the report (under {@code src/main/c}), compiled with gcc on first use into
 * a work directory, named by a hash of their source so that an edited harness is built again.
 */
public final class CHarness {
    private CHarness() {}

    /**
     * The executable of the class-path resource {@code source} ({@code c/name.c}), linked with
     * {@code libraries} ({@code -lOpenCL}), building it when absent.
     *
     * @throws IOException with the reason, for the report, when it cannot be built
     */
    public static Path build(String source, Path work, List<String> libraries) throws IOException {
        byte[] src;
        try (InputStream s = CHarness.class.getClassLoader().getResourceAsStream(source)) {
            if (s == null) {
                throw new IOException("harness source " + source + " is not on the class path");
            }
            src = s.readAllBytes();
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(src)).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String name = Path.of(source).getFileName().toString().replaceFirst("\\.c$", "");
        Files.createDirectories(work);
        Path exe = work.resolve(name + "-" + hash);
        if (Files.isExecutable(exe)) {
            return exe;
        }
        Path c = work.resolve(name + "-" + hash + ".c");
        Files.write(c, src);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", exe.toString(), c.toString()));
        cmd.addAll(libraries);
        Process gcc;
        try {
            gcc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("gcc not found to build " + source + " (scripts/install-bench.sh installs it)");
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IOException("building " + source + " failed: " + String.join(" ", cmd) + "\n" + log.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building " + source);
        }
        return exe;
    }
}
