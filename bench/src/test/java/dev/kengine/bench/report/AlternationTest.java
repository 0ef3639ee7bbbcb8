package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Alternation: the CPU backend and an anchor timed in pairs")
class AlternationTest {

    /**
     * A simulated host: the CPU backend's run takes 1 ms and the anchor's 2 ms, both times {@code slowdown} while the
     * host is busy (between {@code busyFrom} and {@code busyTo} on its clock), and every run is logged.
     */
    private static final class Host {
        long now;
        double busyFrom = Double.POSITIVE_INFINITY;
        double busyTo = Double.POSITIVE_INFINITY;
        double slowdown = 1;
        final List<String> log = new ArrayList<>();

        private void advance(double millis, String who) {
            boolean busy = now >= busyFrom * 1e6 && now < busyTo * 1e6;
            now += (long) (millis * (busy ? slowdown : 1) * 1e6);
            log.add(who);
        }

        Alternation measure(int reps) {
            return Alternation.measure(() -> advance(1, "cpu"), () -> { }, 1e-3, () -> advance(2, "anchor"), () -> { },
                    2e-3, new Timing.Plan(0, reps, 0, 60), () -> now);
        }
    }

    @Test
    @DisplayName("pairs alternate which side goes first: cpu, anchor, anchor, cpu, ...")
    void sidesAlternate() {
        Host h = new Host();
        Alternation a = h.measure(4);
        assertEquals(List.of("cpu", "anchor", "anchor", "cpu", "cpu", "anchor", "anchor", "cpu"), h.log);
        assertEquals(2.0, a.ratio(), 1e-12);
        assertEquals(1e-3, a.cpu().median(), 1e-12);
        assertEquals(2e-3, a.other().median(), 1e-12);
        assertEquals(4, a.cpu().repetitions());
    }

    @Test
    @DisplayName("a busy window that slows both sides of the pairs it covers leaves the ratio alone")
    void busyWindowLeavesTheRatio() {
        // Of 11 pairs (3 ms each), pairs 2..7 fall in a window where everything runs 3× slower. Measured one after
        // the other, with the window over the CPU backend's repetitions only, its median would be 3 ms and the
        // ratio 0.67; within pairs, the ratio stays 2.
        Host h = new Host();
        h.busyFrom = 6;
        h.busyTo = 6 + 6 * 9;
        h.slowdown = 3;
        Alternation a = h.measure(11);
        assertEquals(2.0, a.ratio(), 1e-9);
        assertEquals(3e-3, a.cpu().median(), 1e-12, "the medians alone would be thrown by the window");
    }

    @Test
    @DisplayName("a pair split by a change of window is passed over by the median of the ratios")
    void splitPairIsPassedOver() {
        // The window opens 1 ms into pair 5, which runs its anchor first: the anchor's run is not slowed, its CPU run is.
        Host h = new Host();
        h.busyFrom = 5 * 3 + 1;
        h.busyTo = 5 * 3 + 3;
        h.slowdown = 4;
        Alternation a = h.measure(11);
        assertEquals(2.0, a.ratio(), 1e-9);
    }

    @Test
    @DisplayName("pairs whose ratios spread widely are measured again, and the calmest attempt is kept")
    void widelySpreadPairsAreMeasuredAgain() {
        // The CPU backend's runs are 3x slower from the third to the eighth pair of the first attempt only: the
        // first attempt's ratios are 2, 2, 0.67 ×6, 2, 2, 2 (a wide spread), the second's all 2.
        Host h = new Host();
        h.busyFrom = 6;
        h.busyTo = 6 + 6 * 5 - 0.5;
        h.slowdown = 3;
        int[] cpuRuns = {0};
        Alternation a = Alternation.measure(() -> {
            cpuRuns[0]++;
            boolean busy = h.now >= h.busyFrom * 1e6 && h.now < h.busyTo * 1e6;
            h.now += (long) ((busy ? 3 : 1) * 1e6);
        }, () -> { }, 1e-3, () -> h.now += 2_000_000, () -> { }, 2e-3, new Timing.Plan(0, 11, 0, 60), () -> h.now);
        assertEquals(22, cpuRuns[0], "two attempts of eleven pairs");
        assertEquals(2.0, a.ratio(), 1e-9);
        assertEquals(0, (a.cpu().q3() - a.cpu().q1()), 1e-12, "the calm attempt's timings are kept");
    }

    @Test
    @DisplayName("repetitions: at least three pairs, and no more than the plan's time cap allows")
    void repetitionsFollowThePlan() {
        Host h = new Host();
        Alternation a = Alternation.measure(() -> h.advance(100, "cpu"), () -> { }, 0.1, () -> h.advance(200, "anchor"),
                () -> { }, 0.2, new Timing.Plan(0, 11, 0, 0.5), () -> h.now);
        assertEquals(3, a.cpu().repetitions(), "0.3 s a pair against a 0.5 s cap: three pairs, the floor");
        Host quick = new Host();
        Alternation b = Alternation.measure(() -> quick.advance(1, "cpu"), () -> { }, 1e-3, () -> quick.advance(2, "anchor"),
                () -> { }, 2e-3, new Timing.Plan(0, 11, 0.01, 60), () -> quick.now);
        assertEquals(10, b.cpu().runsPerRepetition(), "a 1 ms run repeats to fill the plan's 10 ms repetition");
        assertEquals(5, b.other().runsPerRepetition());
        assertEquals(2.0, b.ratio(), 1e-9);
    }
}
