package dev.kengine.examples.cli;

import dev.kengine.Backend;
import dev.kengine.examples.chart.DecisionSurface;
import dev.kengine.examples.chart.LineChart;
import dev.kengine.examples.chart.Palette;
import dev.kengine.examples.data.CsvDataset;
import dev.kengine.examples.data.DataException;
import dev.kengine.examples.data.Dataset;
import dev.kengine.examples.data.Playground;
import dev.kengine.examples.data.Split;
import dev.kengine.examples.mlp.BatchMode;
import dev.kengine.examples.mlp.ConfigException;
import dev.kengine.examples.mlp.EpochStats;
import dev.kengine.examples.mlp.History;
import dev.kengine.examples.mlp.LayerSpec;
import dev.kengine.examples.mlp.Objective;
import dev.kengine.examples.mlp.OpMeter;
import dev.kengine.examples.mlp.OptimiserConfig;
import dev.kengine.examples.mlp.Trainer;
import dev.kengine.examples.mlp.TrainingConfig;
import dev.kengine.op.Activation;
import dev.kengine.op.Init;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code ./engine train}: trains one network and writes its charts and a throughput report. */
public final class TrainCommand {
    static final String USAGE = """
            usage: ./engine train [options]
              --data NAME|FILE      circle, xor, gaussians, spirals, digits (default spirals), or a CSV file of
                                    numeric feature columns then an integer label (optionally gzipped)
              --classes N           classes in a CSV file (default 10)
              --samples N --noise F points and noise of a 2-D set (default 400, 0.05)
              --test-fraction F     share held out for testing, stratified, seeded (default 0.25)
              --hidden 64,32        hidden layer sizes (default 32,32; digits 128,64)
              --activation NAME[,NAME...]  one for all hidden layers or one per layer (default relu):
                                    identity, sigmoid, tanh, relu, leaky_relu[:a], elu[:a], swish[:b], silu,
                                    softplus, gelu, gelu_tanh
              --output-activation NAME     (default identity)
              --init NAME           he, he_normal, xavier, xavier_normal, uniform:a:b, normal:mean:std (default he)
              --loss NAME           cross_entropy, mse, mae, huber[:d], bce, bce_logits (default cross_entropy)
              --optimiser NAME      sgd, momentum, nesterov, adam, adamw (default adam)
              --lr F --momentum F --weight-decay F   (lr default 0.1 for the sgd family, 0.01 for adam;
                                    0.002 for adam on digits and files; momentum default 0.9)
              --l1 F --l2 F --dropout P --clip NORM  regularisation and gradient clipping (default off;
                                    dropout 0.2 on digits and files)
              --batch MODE          batch, stochastic, mini-batch (default mini-batch) --batch-size N (default 32)
              --epochs N --seed N   (default: 300 for 2-D sets, 30 for digits; seed 42)
              --precision P         fp32, bf16 or fp16: the dtype of the passes; bf16 and fp16 keep float32
                                    master weights and optimiser state, fp16 with dynamic loss scaling (default fp32)
              --backend NAME[:k=v]  cpu, opencl, ... (default: the best available; cpu:simd=false for scalar)
              --out DIR             where charts go (default out/train)
              --profile-steps N     synchronised steps timed per op after training (default 30, 0 for none)
              --quiet --stacktrace""";

    public static final Set<String> VALUED = Set.of("data", "classes", "samples", "noise", "test-fraction", "hidden", "activation",
            "output-activation", "init", "loss", "optimiser", "optimizer", "lr", "momentum", "weight-decay", "l1", "l2",
            "dropout", "clip", "batch", "batch-size", "epochs", "seed", "backend", "out", "profile-steps", "precision");
    public static final Set<String> FLAGS = Set.of("quiet", "stacktrace", "help");

    /** The data of a run: the split, and whether it is a 2-D set that can be drawn. */
    /**
     * The data, split; {@code planar} when it has two features (its decision surface can be drawn), {@code generated}
     * for the built-in 2-D sets, whose defaults (network, epochs, learning rate, no dropout) differ from those of the
     * digits and of files.
     */
    public record Prepared(Split split, boolean planar, boolean generated) {}

    private final Report report;

    TrainCommand(Report report) {
        this.report = report;
    }

    int run(Options o) {
        if (o.flag("help")) {
            report.result(USAGE); // printed with --quiet too
            return 0;
        }
        if (!o.positional().isEmpty()) {
            throw new UsageException("unexpected argument '" + o.positional().getFirst() + "'; options start with --");
        }
        long seed = o.longValue("seed", 42);
        Prepared data = prepare(o, seed);
        TrainingConfig config = config(o, data, seed);
        int profileSteps = o.integer("profile-steps", 30);
        if (profileSteps < 0) {
            throw new UsageException("--profile-steps must be >= 0, got " + profileSteps);
        }
        String outFolder = o.string("out", "out/train");

        Dataset train = data.split().train();
        Dataset test = data.split().test();
        try (Backend backend = Backends.open(o.string("backend", null));
             Trainer trainer = new Trainer(backend, config, train, test)) {
            // Made now, once the options and the backend are good, and before any training.
            Path out = Report.writableFolder("--out", outFolder);
            report.line("train %s: %d training and %d test samples, %d features, %d classes", train.name().replace(" train", ""),
                    train.rows(), test.rows(), train.columns(), train.classes());
            report.line("backend %s", Backends.describe(backend));
            report.line("network %s", config.describe(train.columns(), train.classes()));
            int every = Math.max(1, config.epochs() / 20);
            History history = trainer.fit(e -> {
                if (e.epoch() == 1 || e.epoch() % every == 0 || e.epoch() == config.epochs() || !Double.isFinite(e.trainLoss())) {
                    report.progress(epochLine(e));
                }
            });
            EpochStats last = history.last();
            if (history.diverged()) {
                report.result("diverged: the training loss is %s at epoch %d; try a smaller --lr, --clip, or a smaller --init",
                        last.trainLoss(), history.divergedAt());
            }
            report.result("final: train accuracy %.2f%%, test accuracy %.2f%%, test loss %.4f, %d epochs in %.2f s",
                    100 * last.trainAccuracy(), 100 * last.testAccuracy(), last.testLoss(), history.epochs().size(),
                    history.seconds());
            report.line("%s", trainer.memoryReport());
            if (config.precision() == dev.kengine.DType.FLOAT16) {
                report.line("fp16 loss scale at the end %.0f; %d steps skipped for non-finite gradients", trainer.lossScale(),
                        trainer.skippedSteps());
            }

            List<Path> charts = charts(out, history, config, train, test, trainer, data.planar());
            throughput(report, backend, history, trainer.batchSize(), profileSteps > 0
                    ? profile(backend, config, train, profileSteps) : null);
            report.line("charts:");
            for (Path p : charts) {
                report.line("  %s", p);
            }
            report.line("  %s", out.resolve("report.txt"));
            report.result("report: %s", report.save(out.resolve("report.txt")));
        }
        return 0;
    }

    /**
     * One epoch's line. "objective" is what the steps minimised, averaged over the epoch's batches: the data loss with
     * dropout on, plus the L1/L2 penalty; "train loss" and "test loss" are the data loss alone, evaluated after the
     * epoch without dropout, so that the two compare (a penalty made the objective read far above the test loss).
     */
    static String epochLine(EpochStats e) {
        return String.format(Locale.ROOT, "epoch %4d  objective %.4f  train loss %.4f acc %6.2f%%  test loss %.4f acc %6.2f%%%s  %,9.0f samples/s",
                e.epoch(), e.trainLoss(), e.trainEvalLoss(), 100 * e.trainAccuracy(), e.testLoss(), 100 * e.testAccuracy(),
                Double.isNaN(e.gradientNorm()) ? "" : String.format(Locale.ROOT, "  grad norm %.3g", e.gradientNorm()),
                e.samplesPerSecond());
    }

    // ---- data and configuration ------------------------------------------------------------

    public static Prepared prepare(Options o, long seed) {
        String name = o.string("data", "spirals");
        float testFraction = o.number("test-fraction", 0.25f);
        if (!(testFraction > 0f && testFraction < 1f)) {
            throw new UsageException("--test-fraction must be in (0, 1), got " + testFraction);
        }
        String key = name.trim().toLowerCase(Locale.ROOT);
        boolean playground = List.of("circle", "xor", "gaussians", "gaussian", "gauss", "spirals", "spiral").contains(key);
        if (o.has("classes") && (playground || key.equals("digits"))) {
            throw new UsageException("--classes applies to a CSV file given with --data; the built-in set '" + name
                    + "' has " + (playground ? "2 classes" : "10 classes"));
        }
        if (!playground && (o.has("samples") || o.has("noise"))) {
            throw new UsageException("--samples and --noise apply to the generated 2-D sets (" + Playground.ACCEPTED
                    + "), not to '" + name + "'");
        }
        if (playground) {
            Dataset d = Playground.parse(key).generate(o.integer("samples", 400), o.number("noise", 0.05f), seed);
            return new Prepared(Split.stratified(d, testFraction, seed), true, true);
        }
        Dataset d;
        if (key.equals("digits")) {
            d = CsvDataset.digits();
        } else {
            Path file = Path.of(name);
            if (!Files.exists(file)) {
                throw new DataException("--data '" + name + "' is neither a built-in data set (" + Playground.ACCEPTED
                        + ", digits) nor an existing file; a file must be " + CsvDataset.FORMAT);
            }
            d = CsvDataset.read(file, o.integer("classes", 10));
        }
        return new Prepared(Split.stratified(d, testFraction, seed).standardised(), d.columns() == 2, false);
    }

    public static TrainingConfig config(Options o, Prepared data, long seed) {
        boolean digitsLike = !data.generated();
        int[] sizes = o.integers("hidden", digitsLike ? new int[] {128, 64} : new int[] {32, 32});
        for (int s : sizes) {
            if (s < 1) {
                throw new ConfigException("--hidden: layer size " + s + " in '" + o.string("hidden", "")
                        + "'; every layer needs at least 1 unit, as in --hidden 64,32");
            }
        }
        String[] acts = o.string("activation", "relu").split(",");
        if (acts.length != 1 && acts.length != sizes.length) {
            throw new ConfigException("--activation lists " + acts.length + " activations for " + sizes.length
                    + " hidden layers; give one for all layers or one per layer");
        }
        List<LayerSpec> hidden = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            hidden.add(new LayerSpec(sizes[i], Activation.parse(acts[acts.length == 1 ? 0 : i])));
        }
        OptimiserConfig.Kind kind = OptimiserConfig.parseKind(o.string("optimiser", o.string("optimizer", "adam")));
        boolean adam = kind == OptimiserConfig.Kind.ADAM || kind == OptimiserConfig.Kind.ADAMW;
        float lr = o.number("lr", digitsLike && adam ? 0.002f : OptimiserConfig.defaultLearningRate(kind));
        boolean momentumKind = kind == OptimiserConfig.Kind.MOMENTUM || kind == OptimiserConfig.Kind.NESTEROV;
        if (o.has("momentum") && !momentumKind) {
            throw new ConfigException("--momentum applies to the momentum and nesterov optimisers, not " + kind.name().toLowerCase(Locale.ROOT));
        }
        OptimiserConfig optimiser = new OptimiserConfig(kind, lr, momentumKind ? o.number("momentum", 0.9f) : 0f,
                o.number("weight-decay", 0f));
        BatchMode mode = BatchMode.parse(o.string("batch", "mini-batch"));
        if (o.has("batch-size") && mode != BatchMode.MINI_BATCH) {
            throw new ConfigException("--batch-size applies to --batch mini-batch, not " + mode.displayName());
        }
        return TrainingConfig.builder()
                .hidden(hidden)
                .outputActivation(Activation.parse(o.string("output-activation", "identity")))
                .init(Init.parse(o.string("init", "he")))
                .objective(Objective.parse(o.string("loss", "cross_entropy")))
                .optimiser(optimiser)
                .l1(o.number("l1", 0f))
                .l2(o.number("l2", 0f))
                .dropout(o.number("dropout", digitsLike ? 0.2f : 0f))
                .clipNorm(o.number("clip", 0f))
                .batch(mode, o.integer("batch-size", 32))
                .epochs(o.integer("epochs", digitsLike ? 30 : 300))
                .seed(seed)
                .precision(TrainingConfig.parsePrecision(o.string("precision", "fp32")))
                .build();
    }

    // ---- charts ------------------------------------------------------------------------------

    private static List<Path> charts(Path out, History h, TrainingConfig config, Dataset train, Dataset test,
                                     Trainer trainer, boolean planar) {
        String subtitle = config.describe(train.columns(), train.classes());
        double[] epochs = h.epochNumbers();
        List<Path> files = new ArrayList<>();
        LineChart loss = new LineChart("Loss", "epoch", "loss").subtitle(subtitle).logY()
                .add("training objective (as trained)", epochs, h.series(EpochStats::trainLoss), Palette.color(0), false)
                .add("train loss (after the epoch)", epochs, h.series(EpochStats::trainEvalLoss), Palette.color(1), true)
                .add("test loss", epochs, h.series(EpochStats::testLoss), Palette.color(1), false);
        files.add(loss.write(out.resolve("loss.png")));
        LineChart acc = new LineChart("Accuracy", "epoch", "accuracy").subtitle(subtitle).yRange(0, 1)
                .add("train", epochs, h.series(EpochStats::trainAccuracy), Palette.color(1), true)
                .add("test", epochs, h.series(EpochStats::testAccuracy), Palette.color(1), false);
        files.add(acc.write(out.resolve("accuracy.png")));
        if (config.clipNorm() > 0f || config.trackGradientNorm()) {
            files.add(new LineChart("Gradient norm", "epoch", "mean global gradient norm").subtitle(subtitle).logY()
                    .add("before clipping", epochs, h.series(EpochStats::gradientNorm)).write(out.resolve("gradient-norm.png")));
        }
        if (planar) {
            files.add(surface(out.resolve("decision-surface.png"), "Decision surface: " + train.name().replace(" train", ""),
                    subtitle, trainer, train, test));
        }
        return files;
    }

    /** Draws the network's predictions over the plane with the training (and test) points. */
    static Path surface(Path file, String title, String subtitle, Trainer trainer, Dataset train, Dataset test) {
        float[] xy = new float[(train.rows() + (test == null ? 0 : test.rows())) * 2];
        int[] labels = new int[xy.length / 2];
        System.arraycopy(train.features(), 0, xy, 0, train.rows() * 2);
        System.arraycopy(train.labels(), 0, labels, 0, train.rows());
        if (test != null) {
            System.arraycopy(test.features(), 0, xy, train.rows() * 2, test.rows() * 2);
            System.arraycopy(test.labels(), 0, labels, train.rows(), test.rows());
        }
        DecisionSurface s = DecisionSurface.around(title, subtitle, xy, 160);
        float[] grid = s.gridPoints();
        float[] scores = trainer.predict(grid, grid.length / 2);
        return s.write(file, scores, train.classes(), xy, labels);
    }

    // ---- throughput ----------------------------------------------------------------------------

    /** The same steps timed twice: as training runs them, and with a synchronize after every engine call. */
    record Profile(double plainSecondsPerStep, OpMeter timed) {}

    /** A fresh network of the same configuration, warmed up, then {@code steps} steps timed both ways. */
    static Profile profile(Backend backend, TrainingConfig config, Dataset train, int steps) {
        try (Trainer t = new Trainer(backend, config, train, null)) {
            t.timeSteps(Math.max(steps, 20));
            double plain = t.timeSteps(steps) / steps;
            return new Profile(plain, t.profile(steps));
        }
    }

    static void throughput(Report report, Backend backend, History h, int batchSize, Profile profile) {
        double stepMs = h.secondsPerStep() * 1e3;
        report.line("throughput on %s: %,.0f samples/s (mean over epochs after the first), %.3f ms per step of up to %d samples",
                backend.name(), h.samplesPerSecond(), stepMs, batchSize);
        report.line("  engine calls per step: %.1f, so %.1f µs of wall time per call (step wall time / calls)",
                h.opsPerStep(), stepMs * 1e3 / h.opsPerStep());
        double floor = OpMeter.floorMicros(backend);
        if (profile != null) {
            OpMeter m = profile.timed();
            long steps = Math.max(1, m.steps());
            Map<String, OpMeter.Tally> tallies = m.tallies();
            long total = tallies.values().stream().mapToLong(OpMeter.Tally::nanos).sum();
            double plainMs = profile.plainSecondsPerStep() * 1e3;
            report.line("  profile of %d steps of a fresh network, after warm-up:", steps);
            report.line("    as in training (ops queued, one wait at the end): %.3f ms per step", plainMs);
            report.line("    with a synchronize after every call, time per call (facade + dispatch + kernel + wait):");
            report.line("    %-16s %10s %10s %8s", "op", "calls/step", "µs/call", "share");
            for (Map.Entry<String, OpMeter.Tally> e : tallies.entrySet()) {
                OpMeter.Tally t = e.getValue();
                report.line("    %-16s %10.1f %10.1f %7.1f%%", e.getKey(), (double) t.calls() / steps,
                        t.nanos() / 1e3 / t.calls(), 100.0 * t.nanos() / total);
            }
            double inOps = total / 1e6 / steps;
            report.line("    %-16s %10.1f %10s %7s   = %.3f ms per step in engine calls, %.3f ms (%.0f%%) outside them"
                    + " (host: batch gathering, scopes, the trainer)", "total", (double) m.calls() / steps, "", "",
                    inOps, Math.max(0, plainMs - inOps), 100 * Math.max(0, plainMs - inOps) / plainMs);
        }
        report.line("  engine floor per call (1-element op + synchronize): %.2f µs; %.1f calls x %.2f µs = %.3f ms"
                + " = %.1f%% of a %.3f ms step", floor, h.opsPerStep(), floor, floor * h.opsPerStep() / 1e3,
                100 * floor * h.opsPerStep() / 1e3 / stepMs, stepMs);
    }
}
