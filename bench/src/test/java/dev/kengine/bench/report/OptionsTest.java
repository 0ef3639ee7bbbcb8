package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("compare's options: a bad one is one line on stderr and exit code 2; every run its own folder")
class OptionsTest {

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Compare.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--ops nope|'nope' selects no op",
        "--ops matmul,,relu|no empty item",
        "--sizes 0|--sizes values must be from 1",
        "--sizes 512,-4|--sizes values must be from 1",
        "--sizes 1k|--sizes takes whole numbers, got '1k'",
        "--threads 0|--threads values must be from 1",
        "--threads two|--threads takes whole numbers",
        "--format xml|--format must be text or json",
        "--bogus|unknown option '--bogus'",
        "--sizes|--sizes needs a value",
        "--ops --quick|--ops needs a value",
        "--backends cpu,nope --no-html|--backends: no backend, anchor or peer 'nope'",
        "--backends openblas --no-anchors|--backends names the anchor openblas but --no-anchors leaves anchors out",
        "--backends pytorch --no-peers|--backends names the peer pytorch but --no-peers leaves peers out",
        "--quick --python /usr/bin/python3|--python is for the PyTorch peer, which this run leaves out",
        "--html /proc/kengine-report|--html /proc/kengine-report: cannot make the folder",
        "--html /etc/hostname/x|--html /etc/hostname/x: cannot make the folder",
    })
    void badOptionIsOneLineAndExitCode2(String args, String expected) throws Exception {
        Outcome o = run(args.split(" "));
        assertEquals(2, o.code(), o.err());
        assertEquals("", o.out(), "nothing on stdout");
        String[] lines = o.err().split("\n");
        assertEquals(1, lines.length, "one line: " + o.err());
        assertTrue(lines[0].startsWith("compare: "), lines[0]);
        assertTrue(lines[0].contains(expected), lines[0]);
        assertTrue(!o.err().contains("\tat "), "no stack trace");
    }

    @Test
    @DisplayName("a run whose every backend is unavailable measures nothing: exit 1, no report")
    void nothingMeasuredExits1() throws Exception {
        Outcome o = run("--tiny", "--ops", "matmul", "--backends", UnavailableTestProvider.NAME, "--no-anchors", "--no-peers",
                "--no-html");
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("nothing was measured"), o.err());
        assertEquals("", o.out(), "no report");
    }

    @Test
    @DisplayName("--quick leaves CLBlast out unless --backends names it")
    void clblastUnderQuick() {
        assertTrue(Compare.Options.parse("--quick").clblastSkippedByQuick());
        assertFalse(Compare.Options.parse("--quick", "--backends", "cpu,clblast").clblastSkippedByQuick());
        assertFalse(Compare.Options.parse().clblastSkippedByQuick());
    }

    @Test
    void helpGoesToStdoutWithExitCode0() throws Exception {
        Outcome o = run("--help");
        assertEquals(0, o.code());
        assertTrue(o.out().startsWith("usage: ./engine compare"), o.out());
        assertEquals("", o.err());
    }

    @Test
    void goodOptionsParse() {
        Compare.Options o = Compare.Options.parse("--ops", "matmul,act_,loss,training", "--sizes", "1,64", "--threads", "1,2");
        assertEquals(2, o.sizes().length);
        assertEquals(1, o.sizes()[0]);
        assertTrue(o.wantsTraining());
        assertEquals("matmul,act_,loss", o.opFilter());
    }

    @Test
    @DisplayName("each run writes into a folder of its own, named by its date and time")
    void datedFolder(@TempDir Path base) throws Exception {
        Instant when = Instant.parse("2026-12-06T19:50:00Z");
        Path first = Compare.reportDir(base, when);
        Path second = Compare.reportDir(base, when);
        Path third = Compare.reportDir(base, when.plusSeconds(1));
        assertTrue(Files.isDirectory(first) && Files.isDirectory(second) && Files.isDirectory(third));
        assertEquals(base, first.getParent());
        assertTrue(first.getFileName().toString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d"), first.toString());
        assertEquals(first.getFileName() + "-2", second.getFileName().toString(), "same second: a suffix, no overwrite");
        assertNotEquals(first, third);
        // A report written into the first folder stays when the next run writes its own.
        Path page = HtmlReport.write(Fixtures.report(), first);
        String before = Files.readString(page);
        HtmlReport.write(Fixtures.report(Fixtures.machine(2, "3 3 3 1/1 1", "3 3 3 1/1 1"), java.util.List.of()), second);
        assertEquals(before, Files.readString(page));
    }
}
