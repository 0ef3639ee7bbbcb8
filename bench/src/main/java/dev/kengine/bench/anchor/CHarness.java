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
        // Built under a name of its own and renamed into place: a harness is never seen half written.
        Path partial = Files.createTempFile(work, name + "-", ".partial");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-o", partial.toString(), c.toString()));
        cmd.addAll(libraries);
        Output gcc;
        try {
            gcc = run(cmd, work, 120);
        } catch (IOException e) {
            Files.deleteIfExists(partial);
            throw new IOException(e.getMessage().startsWith("cannot start") ? "gcc not found to build " + source
                    + " (scripts/install-bench.sh installs it)" : "building " + source + ": " + e.getMessage());
        }
        if (gcc.exit() != 0) {
            Files.deleteIfExists(partial);
            throw new IOException("building " + source + " failed: " + String.join(" ", cmd) + "\n" + gcc.text().strip());
        }
        Files.move(partial, exe, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return exe;
    }

    /** What a finished program printed (standard output and error together) and its exit status. */
    public record Output(String text, int exit) {}

    /**
     * Runs {@code cmd} with its output in a file under {@code work} (no pipe to fill), waits at most {@code seconds},
     * and kills it when it runs past them or the caller is interrupted.
     *
     * @throws IOException "cannot start ..." when it cannot be started, or the time it ran past
     */
    public static Output run(List<String> cmd, Path work, long seconds) throws IOException {
        Path log = Files.createTempFile(work, "out-", ".log");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            Files.deleteIfExists(log);
            throw new IOException("cannot start " + cmd.getFirst() + ": " + e.getMessage());
        }
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(Path.of(cmd.getFirst()).getFileName() + " ran past " + seconds + " s and was stopped");
            }
            return new Output(Files.readString(log, StandardCharsets.UTF_8), p.exitValue());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + Path.of(cmd.getFirst()).getFileName() + " ran");
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
