package dev.kengine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.examples.cli.Main;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command line, called in-process: bad input gives one line and exit code 2; good input writes readable PNGs. */
class CliTest {
    @TempDir
    static Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    static void assertOneLineError(Result r, String... mentions) {
        assertEquals(2, r.code(), "exit code; stderr: " + r.err());
        String err = r.err().strip();
        assertFalse(err.isEmpty(), "no message");
        assertEquals(1, err.lines().count(), "one line expected, got:\n" + err);
        assertFalse(err.contains("\tat "), "a stack trace was printed:\n" + err);
        for (String m : mentions) {
            assertTrue(err.toLowerCase().contains(m.toLowerCase()), "message lacks '" + m + "': " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("bad options: one line naming the problem and what is accepted, exit code 2")
    @CsvSource(delimiter = '|', value = {
        "layer size 0            | --hidden 64,0                 | layer size 0, at least 1",
        "learning rate NaN       | --lr NaN                      | learning rate, NaN, > 0",
        "negative learning rate  | --lr -0.5                     | learning rate, -0.5, > 0",
        "unknown activation      | --activation relux            | unknown activation 'relux', accepted, sigmoid, tanh",
        "unknown optimiser       | --optimiser adagrad           | unknown optimiser, accepted, adamw",
        "unknown loss            | --loss hinge                  | unknown loss, accepted, cross_entropy",
        "unknown initialisation  | --init lecun                  | unknown initialisation, accepted, xavier",
        "unknown batch mode      | --batch huge                  | unknown batch mode, accepted, mini-batch",
        "not a number            | --epochs many                 | --epochs, not a whole number",
        "unknown option          | --colour red                  | unknown option '--colour', accepted, --hidden",
        "dropout out of range    | --dropout 1                   | dropout, [0, 1)",
        "unknown data set        | --data moons                  | neither a built-in data set, spirals, digits",
        "classes of a built-in   | --data circle --classes 3     | --classes applies to a CSV file, 'circle', 2 classes",
        "classes of digits       | --data digits --classes 4     | --classes applies to a CSV file, 10 classes",
        "noise of digits         | --data digits --noise 0.3     | --samples and --noise apply, 'digits'",
        "unknown precision       | --precision fp8               | --precision, fp32, bf16, fp16, 'fp8'",
        "misspelt backend option | --backend cpu:smid=false      | no option 'smid', its options: simd, threads",
        "bce without a sigmoid   | --loss bce                    | bce takes probabilities, sigmoid, bce_logits",
        "malformed backend value | --backend cpu:simd=maybe      | option simd, auto, true or false, 'maybe'",
        "unknown backend         | --backend nosuch              | no backend 'nosuch', known, cpu",
        "too many samples        | --data circle --samples 2000000000 | --samples must be from 4 to 100000000",
        "out below a file        | --out /etc/hostname/charts    | --out /etc/hostname/charts, cannot make the folder",
        "out in /proc            | --out /proc/kengine-charts    | --out /proc/kengine-charts, cannot make the folder",
    })
    void badOptions(String what, String options, String mentions) {
        List<String> args = new ArrayList<>(List.of("train", "--epochs", "1", "--profile-steps", "0", "--out",
                dir.resolve("bad").toString()));
        args.addAll(List.of(options.trim().split(" ")));
        assertOneLineError(run(args.toArray(String[]::new)), mentions.split(",\\s*"));
    }

    @Test
    @DisplayName("--help prints the usage, with --quiet too")
    void helpWithQuiet() {
        Result r = run("train", "--help", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--samples"), r.out());
    }

    @Test
    @DisplayName("a missing data file: one line, exit code 2")
    void missingFile() {
        assertOneLineError(run("train", "--data", dir.resolve("nope.csv").toString()), "nope.csv", "CSV");
    }

    @Test
    @DisplayName("a malformed data file: a line with the wrong number of columns, and a cell that is not a number")
    void malformedFile() throws IOException {
        Path ragged = file("ragged.csv", "1,2,3,0\n4,5,1\n");
        assertOneLineError(run("train", "--data", ragged.toString()), "line 2", "3 columns", "first line has 4");
        Path text = file("text.csv", "1,2,3,0\n4,x5,6,1\n");
        assertOneLineError(run("train", "--data", text.toString()), "line 2 column 2", "'x5'", "not a finite number");
        Path empty = file("empty.csv", "\n\n");
        assertOneLineError(run("train", "--data", empty.toString()), "no samples");
        Path badGzip = dir.resolve("bad.csv.gz");
        Files.write(badGzip, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3});
        assertOneLineError(run("train", "--data", badGzip.toString()), "gzip");
    }

    @Test
    @DisplayName("a label outside the classes: one line naming the line, the label and the accepted range")
    void labelOutsideClasses() throws IOException {
        Path f = file("labels.csv", "1,2,0\n3,4,12\n");
        assertOneLineError(run("train", "--data", f.toString()), "line 2", "label 12", "0..9");
        assertOneLineError(run("train", "--data", f.toString(), "--classes", "3"), "label 12", "0..2");
        Path g = file("fraction.csv", "1,2,0\n3,4,1.5\n");
        assertOneLineError(run("train", "--data", g.toString()), "label '1.5'", "not an integer");
    }

    @Test
    @DisplayName("--stacktrace adds the trace to the one-line message")
    void stackTraceOnRequest() {
        Result r = run("train", "--lr", "NaN", "--stacktrace");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    @DisplayName("an unknown command or experiment: one line, exit code 2")
    void unknownCommand() {
        assertOneLineError(run("fly"), "unknown command 'fly'", "train, experiment");
        assertOneLineError(run("experiment", "dropout"), "unknown experiment 'dropout'", "vanishing, exploding, regularisation");
    }

    @Test
    @DisplayName("train on a CSV file (gzipped) and on a 2-D set writes decodable PNG charts, including the decision surface")
    void trainWritesCharts() throws IOException {
        // A small 2-D two-class CSV in gzip, read through --data.
        Path csv = dir.resolve("blobs.csv.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(csv))) {
            StringBuilder sb = new StringBuilder("x,y,label\n");
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (int i = 0; i < 120; i++) {
                int label = i % 2;
                sb.append(label * 2 - 1 + 0.3 * r.nextGaussian()).append(',').append(0.3 * r.nextGaussian()).append(',')
                        .append(label).append('\n');
            }
            o.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        Path out = dir.resolve("csv-run");
        Result r = run("train", "--data", csv.toString(), "--classes", "2", "--epochs", "5", "--profile-steps", "3",
                "--backend", "cpu", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("throughput on cpu"), r.out());
        assertPng(out.resolve("loss.png"));
        assertPng(out.resolve("accuracy.png"));
        assertPng(out.resolve("decision-surface.png"));

        Path circle = dir.resolve("circle-run");
        r = run("train", "--data", "circle", "--epochs", "20", "--hidden", "8", "--activation", "tanh", "--optimiser",
                "nesterov", "--lr", "0.1", "--clip", "1", "--l2", "1e-4", "--batch", "batch", "--profile-steps", "0",
                "--out", circle.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertPng(circle.resolve("gradient-norm.png"));
        assertPng(circle.resolve("decision-surface.png"));
        assertTrue(Files.size(circle.resolve("report.txt")) > 100);
        // --quiet: the result and where the report is, nothing else (the report file keeps everything).
        List<String> printed = r.out().lines().toList();
        assertEquals(2, printed.size(), r.out());
        assertTrue(printed.get(0).startsWith("final: train accuracy"), r.out());
        assertTrue(printed.get(1).startsWith("report: "), r.out());
        assertTrue(Files.readString(circle.resolve("report.txt")).contains("network "), "the report keeps the context lines");

        Path half = dir.resolve("fp16-run");
        r = run("train", "--data", "circle", "--epochs", "20", "--hidden", "8", "--precision", "fp16", "--profile-steps", "0",
                "--out", half.toString());
        assertEquals(0, r.code(), r.err());
        String report = Files.readString(half.resolve("report.txt"));
        assertTrue(report.contains("fp16 (float32 master weights)"), report);
        assertTrue(report.contains("memory (fp16): parameters"), report);
        assertTrue(report.contains("fp16 loss scale at the end"), report);
    }

    @Test
    @DisplayName("experiment exploding writes its three charts")
    void experimentWritesCharts() {
        Path out = dir.resolve("exploding");
        Result r = run("experiment", "exploding", "--epochs", "1", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertPng(out.resolve("exploding-loss.png"));
        assertPng(out.resolve("exploding-gradient-norm.png"));
        assertPng(out.resolve("exploding-layer-norms.png"));
    }

    static void assertPng(Path file) {
        try {
            assertTrue(Files.size(file) > 5_000, file + " is only " + Files.size(file) + " bytes");
            BufferedImage image = ImageIO.read(file.toFile());
            assertNotNull(image, file + " is not a readable image");
            assertTrue(image.getWidth() >= 600 && image.getHeight() >= 400, file + " is " + image.getWidth() + "x"
                    + image.getHeight());
        } catch (IOException e) {
            throw new AssertionError(file + ": " + e, e);
        }
    }
}
