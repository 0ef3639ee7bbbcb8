package dev.kengine.bench.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.bench.Ops;
import dev.kengine.bench.report.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer client against stand-in peers written in bash: presence, the environment, a measured reply. */
class PeerTest {
    @TempDir
    Path dir;

    private static List<String> bash(String script) {
        return List.of("/bin/bash", "-c", script);
    }

    @Test
    void aMissingProgramIsNotPresentWithTheReason() {
        Peer p = Peer.start("pytorch", List.of("/nonexistent/python3", "-u", "x.py"), 1, dir);
        assertNotNull(p.unavailableReason());
        assertTrue(p.unavailableReason().startsWith("cannot run /nonexistent/python3"), p.unavailableReason());
        assertThrows(IOException.class, () -> p.run(PeerTask.of(Ops.byName("matmul"), 8, 1), dir, Timing.Plan.TINY));
        p.close();
    }

    @Test
    void aPeerThatSaysUnavailableIsNotPresentWithItsReason() {
        // What torch_peer.py says when `import torch` fails.
        Peer p = Peer.start("pytorch", bash("printf 'unavailable\\treason=no torch in /usr/bin/python3 (ModuleNotFoundError)\\n'; exit 3"), 1, dir);
        assertEquals("no torch in /usr/bin/python3 (ModuleNotFoundError)", p.unavailableReason());
        assertNull(p.version());
        p.close();
    }

    @Test
    void aPeerThatDiesIsNotPresentWithItsExitStatusAndLastWords() {
        Peer p = Peer.start("nd4j", bash("echo 'UnsatisfiedLinkError: no jnind4jcpu' >&2; exit 4"), 2, dir);
        assertTrue(p.unavailableReason().contains("status 4"), p.unavailableReason());
        assertTrue(p.unavailableReason().contains("UnsatisfiedLinkError"), p.unavailableReason());
        p.close();
    }

    @Test
    void aRunningPeerGetsItsThreadsAndPassiveWaitingAndIsMeasured() throws IOException {
        String fake = """
                printf 'ready\\tversion=fake %s %s\\n' "$OMP_NUM_THREADS" "$OMP_WAIT_POLICY"
                while IFS= read -r line; do
                  case "$line" in quit*) exit 0;; esac
                  out=$(printf '%s\\n' "$line" | tr '\\t' '\\n' | sed -n 's/^out=//p')
                  printf '\\x00\\x00\\x80\\x3f\\x00\\x00\\x00\\x40' > "$out"
                  printf 'ok\\truns=4\\tseconds=3e-3,1e-3,2e-3\\n'
                done
                """;
        try (Peer p = Peer.start("pytorch", bash(fake), 2, dir)) {
            assertNull(p.unavailableReason());
            assertEquals("fake 2 PASSIVE", p.version());
            Peer.Result r = p.run(PeerTask.of(Ops.byName("matmul"), 8, 1), dir, Timing.Plan.TINY);
            assertEquals(2e-3, r.timing().median(), 1e-15);
            assertEquals(4, r.timing().runsPerRepetition());
            assertArrayEquals(new float[] {1f, 2f}, r.output());
            assertTrue(Files.exists(dir.resolve("matmul-8.a.f32")), "inputs are written for the peer");
            PeerTask.of(Ops.byName("matmul"), 8, 1).deleteInputs(dir);
            assertTrue(Files.notExists(dir.resolve("matmul-8.a.f32")));
        }
    }

    @Test
    void aPeerThatPrintsOutsideTheProtocolIsStoppedAndNotPresent() throws IOException {
        // A native library writing to standard output before the reply: the reply would be taken by the next request.
        String fake = """
                printf 'ready\tversion=fake\n'
                while IFS= read -r line; do
                  case "$line" in quit*) exit 0;; esac
                  out=$(printf '%s\n' "$line" | tr '\t' '\n' | sed -n 's/^out=//p')
                  printf '\\x00\\x00\\x80\\x3f' > "$out"
                  printf 'OpenBLAS : some native chatter\n'
                  printf 'ok\truns=1\tseconds=1e-3\n'
                done
                """;
        try (Peer p = Peer.start("nd4j", bash(fake), 1, dir)) {
            assertThrows(IOException.class, () -> p.run(PeerTask.of(Ops.byName("matmul"), 8, 1), dir, Timing.Plan.TINY));
            assertTrue(p.unavailableReason().startsWith("it printed something else than the protocol"), p.unavailableReason());
            var e = assertThrows(IOException.class, () -> p.run(PeerTask.of(Ops.byName("matmul"), 8, 1), dir, Timing.Plan.TINY));
            assertTrue(e.getMessage().contains("is not present"), "no later row takes the queued reply: " + e.getMessage());
        }
    }

    @Test
    void aPeerTaskCarriesTheEngineInputs() throws IOException {
        PeerTask t = PeerTask.of(Ops.byName("act_sigmoid"), 1000, 7);
        assertEquals("act", t.fields().get("op"));
        assertEquals("sigmoid", t.fields().get("act"));
        String files = (String) t.request(dir).get("in");
        assertArrayEquals(Ops.activationInput(1000, 7), PeerTask.readFloats(Path.of(files)));
        assertNull(PeerTask.of(Ops.byName("act_sigmoid_backward"), 1000, 7), "peers run forward activations only");
        assertNull(PeerTask.of(Ops.byName("dropout"), 1000, 7));
        assertEquals("train", PeerTask.of(Ops.byName(Ops.TRAIN_STEP), 256, 7).fields().get("op"));
        assertEquals("softmax_ce", PeerTask.of(Ops.byName("softmax_cross_entropy"), 4096, 7).fields().get("op"));
    }
}
