package dev.kengine.bench.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.bench.report.Timing;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtocolTest {

    @Test
    void aRequestRoundTripsAndValuesLoseTheirTabs() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("op", "sgemm");
        f.put("m", 64);
        f.put("warmup", 0.05);
        f.put("note", "a\tb\nc");
        String line = Protocol.format("run", f);
        assertEquals("run\top=sgemm\tm=64\twarmup=0.05\tnote=a b c", line);
        Protocol.Message m = Protocol.parse(line);
        assertEquals("run", m.kind());
        assertEquals(64, m.intField("m"));
        assertEquals(0.05, m.doubleField("warmup"));
        assertEquals("a b c", m.get("note"));
        assertThrows(IllegalArgumentException.class, () -> m.need("absent"));
    }

    @Test
    void aReplysSecondsAreParsed() {
        Protocol.Message ok = Protocol.parse("ok\truns=12\tseconds=1.5e-03, 2.5e-03,2.0e-03\n");
        assertArrayEquals(new double[] {1.5e-3, 2.5e-3, 2.0e-3}, Protocol.seconds(ok));
        assertEquals(12, ok.intField("runs"));
        double[] back = Protocol.seconds(Protocol.parse("ok\truns=1\tseconds=" + Protocol.join(new double[] {1.234567891e-4, 3})));
        assertArrayEquals(new double[] {1.234567891e-4, 3}, back, 1e-15);
    }

    @Test
    void badRepliesAreErrorsThatSayWhy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Protocol.seconds(Protocol.parse("error\tmessage=RuntimeError: out of memory")));
        assertTrue(e.getMessage().contains("RuntimeError: out of memory"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Protocol.seconds(Protocol.parse("ok\truns=1\tseconds=1e-3,-2e-3")));
        assertThrows(IllegalArgumentException.class, () -> Protocol.seconds(Protocol.parse("ok\truns=1\tseconds=1e-3,NaN")));
        assertThrows(IllegalArgumentException.class, () -> Protocol.seconds(Protocol.parse("ok\truns=1\tseconds=fast")));
        assertThrows(IllegalArgumentException.class, () -> Protocol.seconds(Protocol.parse("ok\truns=1")));
        // A library printing on the peer's stdout: not a reply.
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> Protocol.seconds(Protocol.parse("WARNING: something printed on stdout")));
        assertTrue(w.getMessage().startsWith("unexpected reply"), w.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Protocol.parse("ok\tseconds"));
        assertThrows(IllegalArgumentException.class, () -> Protocol.parse(null));
        assertThrows(IllegalArgumentException.class, () -> Protocol.parse(""));
    }

    @Test
    void theRatioIsOfTheMedians() {
        // The peer's repetitions 3, 1, 2 ms: median 2 ms (not the mean, not the best); the CPU backend's median 0.5 ms.
        Timing peer = Timing.of(new double[] {3e-3, 1e-3, 2e-3}, 10);
        Timing cpu = Timing.of(new double[] {0.4e-3, 0.5e-3, 0.6e-3, 9e-3, 0.45e-3}, 10);
        assertEquals(2e-3, peer.median(), 1e-15);
        assertEquals(0.5e-3, cpu.median(), 1e-15);
        assertEquals(4.0, Peers.ratioOfMedians(cpu, peer), 1e-12, "the CPU backend is 4x the peer's speed");
        // An even count: the mean of the middle two.
        assertEquals(2.5e-3, Timing.of(new double[] {1e-3, 2e-3, 3e-3, 4e-3}, 1).median(), 1e-15);
        assertEquals(0.25, Peers.ratioOfMedians(peer, cpu), 1e-12);
    }

    @Test
    void peerTimingPlansRunsAndRepetitionsAsTheEngineDoes() {
        Timing.Plan plan = new Timing.Plan(0.1, 11, 0.03, 6.0);
        assertEquals(30, PeerTiming.runsPerRepetition(plan, 1e-3));
        assertEquals(1, PeerTiming.runsPerRepetition(plan, 0.5));
        assertEquals(11, PeerTiming.repetitions(plan, 1e-3, 30));
        assertEquals(3, PeerTiming.repetitions(plan, 4.0, 1), "a slow op: never fewer than 3");
        int[] calls = {0};
        PeerTiming.Measured m = PeerTiming.measure(() -> calls[0]++, Timing.Plan.TINY);
        assertEquals(Timing.Plan.TINY.repetitions(), m.seconds().length);
        assertTrue(calls[0] >= PeerTiming.MIN_WARMUP_RUNS + m.runs() * m.seconds().length);
    }
}
