package dev.kengine.examples.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What a command prints, kept as well so it can be saved next to the charts as report.txt. */
final class Report {
    private final PrintStream out;
    private final boolean quiet;
    private final StringBuilder text = new StringBuilder();

    Report(PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
    }

    /** A result: printed even with --quiet. */
    void result(String format, Object... args) {
        String s = args.length == 0 ? format : String.format(Locale.ROOT, format, args);
        out.println(s);
        text.append(s).append('\n');
    }

    /** A line of context (the data, the backend, the network, the charts), left out with --quiet. */
    void line(String format, Object... args) {
        progress(format, args);
    }

    /** A progress line, left out with --quiet (but kept in report.txt). */
    void progress(String format, Object... args) {
        String s = args.length == 0 ? format : String.format(Locale.ROOT, format, args);
        if (!quiet) {
            out.println(s);
        }
        text.append(s).append('\n');
    }

    Path save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code folder} as a folder the command can write its charts and report into, made now, so that a bad --out fails
     * in a line before the work, not after training.
     *
     * @throws UsageException naming the option and the problem
     */
    static Path writableFolder(String option, String folder) {
        Path dir;
        try {
            dir = Path.of(folder);
            Files.createDirectories(dir);
        } catch (IOException | RuntimeException e) {
            throw new UsageException(option + " " + folder + ": cannot make the folder (" + e + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(option + " " + folder + ": the folder is not writable");
        }
        return dir;
    }
}
