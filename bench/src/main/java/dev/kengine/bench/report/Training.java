package dev.kengine.bench.report;

import dev.kengine.Backend;
import dev.kengine.examples.cli.Options;
import dev.kengine.examples.cli.TrainCommand;
import dev.kengine.examples.data.Dataset;
import dev.kengine.examples.mlp.History;
import dev.kengine.examples.mlp.OpMeter;
import dev.kengine.examples.mlp.Trainer;
import dev.kengine.examples.mlp.TrainingConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The report's training section: the network {@code ./engine train --data digits} trains by
 * default (the same data split, standardisation and configuration, taken from {@link TrainCommand}),
 * trained for a few epochs on one backend, then profiled the way {@code ./engine train} profiles.
 *
 * <p>What it measures, per backend:
 * <ul>
 *   <li>samples/s and wall ms per step as training runs (ops queued, no synchronisation inside a
 *       step), over the epochs after the first (the first includes warm-up);</li>
 *   <li>engine calls per step;</li>
 *   <li>a profile of {@code profileSteps} further steps with a synchronize after every engine call
 *       ({@link OpMeter#timing}): each op's time per call, and the synchronised step's wall time
 *       split into the time inside engine calls and the time outside them (batch gathering on the
 *       host, scopes, the trainer's own code). With every call synchronised, nothing overlaps, so
 *       the two parts add up to the step;</li>
 *   <li>the engine's floor per call ({@link OpMeter#floorMicros}: a 1-element op and a
 *       synchronize), and what that floor times the calls per step is of a training step.</li>
 * </ul>
 */
final class Training {
    /** The seed {@code ./engine train} uses by default. */
    static final long SEED = 42;

    /**
     * Seconds of warm-up training on a throwaway network first (the CPU backend's kernels run
     * many times slower until the JIT has compiled them, which takes longer than a few epochs of
     * 32-sample steps), epochs, profiled steps and (for tests) a cap on the training samples.
     */
    record Plan(double warmUpSeconds, int epochs, int profileSteps, int maxTrainSamples) {
        static Plan of(Timing.Plan plan, boolean quick) {
            if (plan == Timing.Plan.TINY) {
                return new Plan(0, 1, 3, 128);
            }
            return quick ? new Plan(2, 2, 20, 0) : new Plan(5, 5, 50, 0);
        }
    }

    /** One op's share of a synchronised step. */
    record OpTime(String op, double callsPerStep, double microsPerCall, double share) {}

    /** What one backend measured; {@code error} is non-null (and the figures NaN) when training failed. */
    record Result(String backend, String device, String data, String network, double warmUpSeconds, int epochs, long samples, long steps,
                  int batchSize, double samplesPerSecond, double stepMs, double callsPerStep, double plainStepMs,
                  double syncedStepMs, double inCallsMs, double floorMicros, double testAccuracy, List<OpTime> ops,
                  String error) {

        Result {
            ops = List.copyOf(ops);
        }

        boolean ok() {
            return error == null;
        }

        /** Mean time of one engine call with a synchronize after it, in µs. */
        double microsPerCall() {
            return callsPerStep > 0 ? inCallsMs * 1e3 / callsPerStep : Double.NaN;
        }

        /** Milliseconds of a synchronised step spent outside engine calls. */
        double outsideMs() {
            return Math.max(0, syncedStepMs - inCallsMs);
        }

        /** The share of a synchronised step spent inside engine calls. */
        double shareInCalls() {
            return syncedStepMs > 0 ? Math.min(1, inCallsMs / syncedStepMs) : Double.NaN;
        }

        /** The floor per call times the calls per step, in ms. */
        double floorMsPerStep() {
            return floorMicros * callsPerStep / 1e3;
        }

        /** The floor's share of a training step (as trained, not synchronised). */
        double floorShare() {
            return stepMs > 0 ? floorMsPerStep() / stepMs : Double.NaN;
        }

        static Result failed(String backend, String device, String why) {
            double nan = Double.NaN;
            return new Result(backend, device, "digits", null, nan, 0, 0, 0, 0, nan, nan, nan, nan, nan, nan, nan, nan,
                    List.of(), why);
        }
    }

    private Training() {}

    /** The data and configuration of {@code ./engine train --data digits} with the plan's epochs. */
    record Setup(Dataset train, Dataset test, TrainingConfig config) {
        static Setup digits(Plan plan) {
            Options o = Options.parse("train", new String[] {"--data", "digits"}, TrainCommand.VALUED, TrainCommand.FLAGS);
            TrainCommand.Prepared prepared = TrainCommand.prepare(o, SEED);
            TrainingConfig config = TrainCommand.config(o, prepared, SEED).toBuilder().epochs(plan.epochs()).build();
            Dataset train = prepared.split().train();
            Dataset test = prepared.split().test();
            if (plan.maxTrainSamples() > 0 && train.rows() > plan.maxTrainSamples()) {
                int[] first = new int[plan.maxTrainSamples()];
                for (int i = 0; i < first.length; i++) {
                    first[i] = i;
                }
                train = train.subset(train.name() + " (first " + first.length + ")", first);
                test = null;
            }
            return new Setup(train, test, config);
        }

        /** The data set's name and size, for headers. */
        String dataName() {
            return train.name().replace(" train", "") + " (" + train.rows() + " training samples of " + train.columns()
                    + " features, " + train.classes() + " classes)";
        }
    }

    /** Trains a throwaway network of the same configuration for {@code seconds}: JIT, kernel caches, pools. */
    private static void warmUp(Backend backend, Setup setup, double seconds) {
        if (seconds <= 0) {
            return;
        }
        try (Trainer t = new Trainer(backend, setup.config(), setup.train(), null)) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                t.timeSteps(25);
            }
        }
    }

    /** Trains and profiles on {@code backend}; a failure becomes a result with its error. */
    static Result measure(Backend backend, Setup setup, Plan plan) {
        String device = backend.capabilities().deviceName();
        TrainingConfig config = setup.config();
        try {
            warmUp(backend, setup, plan.warmUpSeconds());
        } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
            return Result.failed(backend.name(), device, "warm-up: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        try (Trainer trainer = new Trainer(backend, config, setup.train(), setup.test())) {
            History h = trainer.fit(e -> {});
            int steps = plan.profileSteps();
            trainer.timeSteps(steps); // warm-up for the profile
            double plainStepMs = trainer.timeSteps(steps) / steps * 1e3;
            backend.synchronize();
            long start = System.nanoTime();
            OpMeter m = trainer.profile(steps);
            backend.synchronize();
            long profiled = Math.max(1, m.steps());
            double syncedStepMs = (System.nanoTime() - start) / 1e6 / profiled;
            Map<String, OpMeter.Tally> tallies = m.tallies();
            long total = tallies.values().stream().mapToLong(OpMeter.Tally::nanos).sum();
            List<OpTime> ops = new ArrayList<>();
            for (Map.Entry<String, OpMeter.Tally> e : tallies.entrySet()) {
                OpMeter.Tally t = e.getValue();
                ops.add(new OpTime(e.getKey(), (double) t.calls() / profiled, t.calls() == 0 ? Double.NaN : t.nanos() / 1e3 / t.calls(),
                        total == 0 ? Double.NaN : (double) t.nanos() / total));
            }
            double floor = OpMeter.floorMicros(backend);
            return new Result(backend.name(), device, setup.dataName(),
                    config.describe(setup.train().columns(), setup.train().classes()), plan.warmUpSeconds(), h.epochs().size(),
                    (long) h.epochs().size() * setup.train().rows(), h.steps(), trainer.batchSize(), h.samplesPerSecond(),
                    h.secondsPerStep() * 1e3, h.opsPerStep(), plainStepMs, syncedStepMs, total / 1e6 / profiled, floor,
                    h.last().testAccuracy(), ops, null);
        } catch (RuntimeException | LinkageError | OutOfMemoryError e) {
            return Result.failed(backend.name(), device, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
