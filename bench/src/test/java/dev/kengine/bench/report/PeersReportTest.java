package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A peer that is missing is listed with the reason, never dropped; --quick says it skipped them. */
class PeersReportTest {

    private static Compare.Report run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        return new Compare(Compare.Options.parse(args), new PrintStream(err, true, StandardCharsets.UTF_8)).run();
    }

    private static Map<String, Object> peer(Compare.Report r, String name) {
        return r.anchors().stream().filter(a -> name.equals(a.get("name")) && "peer".equals(a.get("role"))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " is not listed: " + r.anchors()));
    }

    @Test
    void anAbsentPythonMakesPyTorchNotPresentWithTheReason() {
        Compare.Report r = run("--tiny", "--ops", "matmul", "--sizes", "16", "--threads", "1", "--backends", "cpu,pytorch",
                "--python", "/nonexistent/python3", "--no-html");
        Map<String, Object> p = peer(r, "pytorch");
        assertEquals(false, p.get("present"));
        String reason = String.valueOf(p.get("reason"));
        assertTrue(reason.startsWith("not present: no python3 with torch (cannot run /nonexistent/python3"), reason);
        assertTrue(r.rows().stream().noneMatch(x -> x.kind().equals("peer")), "no rows from an absent peer");
        String text = TextReport.write(r);
        assertTrue(text.contains("pytorch      peer    not present: no python3 with torch"), text);
        assertTrue(Verdict.of(r).headlines().stream().anyMatch(h -> h.contains("pytorch not present: no python3 with torch")),
                Verdict.of(r).headlines().toString());
    }

    @Test
    void aPythonWithoutTorchMakesPyTorchNotPresentWithTheReason() {
        // /bin/false stands for a python3 that exits before saying anything (no torch, broken install).
        Compare.Report r = run("--tiny", "--ops", "matmul", "--sizes", "16", "--threads", "1", "--backends", "cpu,pytorch",
                "--python", "/bin/false", "--no-html");
        String reason = String.valueOf(peer(r, "pytorch").get("reason"));
        assertTrue(reason.startsWith("not present: it exited with status 1"), reason);
    }

    @Test
    void quickSkipsThePeersAndSaysSo() {
        Compare.Report r = run("--tiny", "--quick", "--ops", "matmul", "--sizes", "16", "--threads", "1", "--no-anchors", "--no-html");
        for (String name : List.of("pytorch", "nd4j")) {
            Map<String, Object> p = peer(r, name);
            assertEquals(true, p.get("skipped"));
            assertTrue(String.valueOf(p.get("reason")).startsWith("skipped because of --quick"), String.valueOf(p.get("reason")));
        }
        assertTrue(Verdict.of(r).headlines().stream().anyMatch(h -> h.contains("nd4j skipped because of --quick")));
        assertFalse(Compare.Options.parse("--no-peers").wantsPeer("pytorch"));
        assertTrue(Compare.Options.parse().wantsPeer("pytorch"), "a full report runs the peers");
        assertTrue(Compare.Options.parse("--quick", "--backends", "cpu,nd4j").wantsPeer("nd4j"), "named: runs even with --quick");
    }
}
