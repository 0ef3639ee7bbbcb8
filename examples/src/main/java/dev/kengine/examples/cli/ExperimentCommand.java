package dev.kengine.examples.cli;

import dev.kengine.Backend;
import dev.kengine.examples.chart.LineChart;
import dev.kengine.examples.chart.Palette;
import dev.kengine.examples.data.CsvDataset;
import dev.kengine.examples.data.Dataset;
import dev.kengine.examples.data.Playground;
import dev.kengine.examples.data.Split;
import dev.kengine.examples.mlp.BatchMode;
import dev.kengine.examples.mlp.EpochStats;
import dev.kengine.examples.mlp.History;
import dev.kengine.examples.mlp.OptimiserConfig;
import dev.kengine.examples.mlp.Trainer;
import dev.kengine.examples.mlp.TrainingConfig;
import dev.kengine.op.Activation;
import dev.kengine.op.Init;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ./engine experiment NAME}: the classic lessons, each a handful of training runs that
 * differ in one respect, drawn side by side.
 *
 * <ul>
 * <li>vanishing: a 10-hidden-layer network with sigmoid, tanh and ReLU; gradient norm per layer at
 *     the start, and the loss curves.
 * <li>exploding: an 8-hidden-layer ReLU network with too-large initial weights, without and with
 *     clipping, against He and Xavier initialisation; loss and gradient norm per step.
 * <li>regularisation: an over-sized network on 100 noisy XOR points, without regularisation and
 *     with L1, L2 and dropout; train and test loss, and the decision surface of each.
 * </ul>
 */
final class ExperimentCommand {
    static final String USAGE = """
            usage: ./engine experiment NAME [options]
              vanishing        10 hidden layers with sigmoid, tanh and ReLU: gradient norm per layer, loss curves
              exploding        too-large initial weights with and without clipping, and He / Xavier initialisation
              regularisation   an over-fitting network with no regularisation, L1, L2 and dropout: train and test loss
              --backend NAME[:k=v]  (default: the best available)   --out DIR (default out/experiment-NAME)
              --epochs N            (default: 20 vanishing, 10 exploding, 400 regularisation)
              --seed N              (default 42)   --quiet --stacktrace""";

    static final Set<String> VALUED = Set.of("backend", "out", "seed", "epochs");
    static final Set<String> FLAGS = Set.of("quiet", "stacktrace", "help");

    /** One training run of an experiment. */
    record Run(String label, TrainingConfig config, History history, double[] layerNorms, List<double[]> steps) {}

    private final Report report;

    ExperimentCommand(Report report) {
        this.report = report;
    }

    int run(Options o) {
        if (o.flag("help")) {
            report.result(USAGE);
            return 0;
        }
        if (o.positional().size() != 1) {
            throw new UsageException(o.positional().isEmpty()
                    ? "name an experiment; accepted: vanishing, exploding, regularisation"
                    : "one experiment at a time, got " + o.positional());
        }
        String name = o.positional().getFirst().toLowerCase(Locale.ROOT);
        long seed = o.longValue("seed", 42);
        String canonical = switch (name) {
            case "vanishing", "vanishing-gradient", "vanishing-gradients" -> "vanishing";
            case "exploding", "exploding-gradient", "exploding-gradients" -> "exploding";
            case "regularisation", "regularization", "overfitting" -> "regularisation";
            default -> throw new UsageException("unknown experiment '" + o.positional().getFirst()
                    + "'; accepted: vanishing, exploding, regularisation");
        };
        int epochs = o.integer("epochs", switch (canonical) {
            case "vanishing" -> 20;
            case "exploding" -> 10;
            default -> 400;
        });
        if (epochs < 1) {
            throw new UsageException("--epochs must be at least 1, got " + epochs);
        }
        String outFolder = o.string("out", "out/experiment-" + canonical);
        try (Backend backend = Backends.open(o.string("backend", null))) {
            Path out = Report.writableFolder("--out", outFolder); // once the backend is good, before any training
            report.line("experiment %s on backend %s, seed %d", canonical, Backends.describe(backend), seed);
            List<Path> charts = switch (canonical) {
                case "vanishing" -> vanishing(backend, out, epochs, seed);
                case "exploding" -> exploding(backend, out, epochs, seed);
                default -> regularisation(backend, out, epochs, seed);
            };
            report.line("charts:");
            for (Path p : charts) {
                report.line("  %s", p);
            }
            report.line("  %s", out.resolve("report.txt"));
            report.result("report: %s", report.save(out.resolve("report.txt")));
        }
        return 0;
    }

    // ---- vanishing gradients -------------------------------------------------------------------

    private List<Path> vanishing(Backend backend, Path out, int epochs, long seed) {
        Split data = Split.stratified(CsvDataset.digits(), 0.25, seed).standardised();
        report.line("digits: %d training, %d test samples; 10 hidden layers of 32 units, SGD with momentum 0.9, lr 0.01,"
                + " mini-batch 32", data.train().rows(), data.test().rows());
        Object[][] variants = {
            {"sigmoid, Xavier init", Activation.SIGMOID, Init.xavierNormal()},
            {"tanh, Xavier init", Activation.TANH, Init.xavierNormal()},
            {"ReLU, He init", Activation.RELU, Init.heNormal()},
        };
        List<Run> runs = new ArrayList<>();
        for (Object[] v : variants) {
            int[] sizes = new int[10];
            Arrays.fill(sizes, 32);
            TrainingConfig config = TrainingConfig.builder()
                    .hidden((Activation) v[1], sizes)
                    .init((Init) v[2])
                    .optimiser(OptimiserConfig.momentum(0.01f, 0.9f))
                    .batch(BatchMode.MINI_BATCH, 32)
                    .epochs(epochs)
                    .seed(seed)
                    .build();
            runs.add(train(backend, (String) v[0], config, data, false));
        }
        report.line("");
        report.result("gradient norm |dL/dW| per layer at the start (first 256 training samples), input side first:");
        for (Run r : runs) {
            StringBuilder sb = new StringBuilder();
            for (double n : r.layerNorms()) {
                sb.append(String.format(Locale.ROOT, " %.1e", n));
            }
            double[] n = r.layerNorms();
            report.result("  %-22s%s   layer 1 / layer 10 = %.1e", r.label(), sb, n[0] / n[n.length - 2]);
        }
        summary(runs);

        List<Path> charts = new ArrayList<>();
        LineChart norms = new LineChart("Vanishing gradients: gradient norm per layer at initialisation", "layer (1 = input side, 11 = output)",
                "|dL/dW| of the layer").logY().subtitle("digits, 64-32x10-10, cross-entropy, first 256 samples, before any update");
        LineChart loss = new LineChart("Vanishing gradients: training loss", "epoch", "training loss (cross-entropy)")
                .subtitle("digits, 64-32x10-10, SGD momentum 0.9, lr 0.01, mini-batch 32");
        LineChart acc = new LineChart("Vanishing gradients: test accuracy", "epoch", "test accuracy").yRange(0, 1)
                .subtitle("digits, 64-32x10-10, SGD momentum 0.9, lr 0.01, mini-batch 32");
        for (Run r : runs) {
            double[] layers = new double[r.layerNorms().length];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = i + 1;
            }
            norms.add(r.label(), layers, r.layerNorms());
            loss.add(r.label(), r.history().epochNumbers(), r.history().series(EpochStats::trainLoss));
            acc.add(r.label(), r.history().epochNumbers(), r.history().series(EpochStats::testAccuracy));
        }
        charts.add(norms.write(out.resolve("vanishing-gradient-norms.png")));
        charts.add(loss.write(out.resolve("vanishing-loss.png")));
        charts.add(acc.write(out.resolve("vanishing-accuracy.png")));
        return charts;
    }

    // ---- exploding gradients -------------------------------------------------------------------

    private List<Path> exploding(Backend backend, Path out, int epochs, long seed) {
        Split data = Split.stratified(CsvDataset.digits(), 0.25, seed).standardised();
        report.line("digits: %d training, %d test samples; 8 hidden ReLU layers of 64 units, SGD with momentum 0.9, lr 0.01,"
                + " mini-batch 32", data.train().rows(), data.test().rows());
        Object[][] variants = {
            {"N(0, 1) init, no clipping", Init.normal(0, 1), 0f},
            {"N(0, 1) init, clipped at norm 1", Init.normal(0, 1), 1f},
            {"He init (N(0, 2/fan-in))", Init.heNormal(), 0f},
            {"Xavier init (N(0, 2/(fan-in+fan-out)))", Init.xavierNormal(), 0f},
        };
        List<Run> runs = new ArrayList<>();
        for (Object[] v : variants) {
            int[] sizes = new int[8];
            Arrays.fill(sizes, 64);
            TrainingConfig config = TrainingConfig.builder()
                    .hidden(Activation.RELU, sizes)
                    .init((Init) v[1])
                    .clipNorm((float) v[2])
                    .trackGradientNorm(true)
                    .optimiser(OptimiserConfig.momentum(0.01f, 0.9f))
                    .batch(BatchMode.MINI_BATCH, 32)
                    .epochs(epochs)
                    .seed(seed)
                    .build();
            runs.add(train(backend, (String) v[0], config, data, true));
        }
        report.line("");
        report.result("gradient norm |dL/dW| per layer at the start (first 256 training samples), input side first:");
        for (Run r : runs) {
            if (r.config().clipNorm() > 0f) {
                continue; // the same initial weights as the unclipped run: clipping acts only once steps are taken
            }
            StringBuilder sb = new StringBuilder();
            for (double n : r.layerNorms()) {
                sb.append(String.format(Locale.ROOT, " %.1e", n));
            }
            report.result("  %-40s%s", r.label().replace(", no clipping", " (with or without clipping)"), sb);
        }
        summary(runs);

        String subtitle = "digits, 64-64x8-10 ReLU, SGD momentum 0.9, lr 0.01, mini-batch 32";
        List<Path> charts = new ArrayList<>();
        LineChart loss = new LineChart("Exploding gradients: training loss per step", "step", "loss (cross-entropy)").logY()
                .subtitle(subtitle + "; a line that stops has reached inf or NaN");
        LineChart norm = new LineChart("Exploding gradients: global gradient norm per step (before clipping)", "step",
                "gradient norm").logY().subtitle(subtitle);
        LineChart layers = new LineChart("Exploding gradients: gradient norm per layer at initialisation",
                "layer (1 = input side, 9 = output)", "|dL/dW| of the layer").logY().subtitle(subtitle);
        for (Run r : runs) {
            String label = r.label() + (r.history().diverged() ? " (diverged)" : "");
            double[] step = new double[r.steps().size()];
            double[] l = new double[step.length];
            double[] g = new double[step.length];
            for (int i = 0; i < step.length; i++) {
                step[i] = r.steps().get(i)[0];
                l[i] = r.steps().get(i)[1];
                g[i] = r.steps().get(i)[2];
            }
            loss.add(label, step, l);
            norm.add(label, step, g);
            if (r.config().clipNorm() > 0f) {
                continue; // its initial gradients are the unclipped run's: one line, not two on top of each other
            }
            double[] x = new double[r.layerNorms().length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
            }
            layers.add(r.label().replace(", no clipping", " (with or without clipping)"), x, r.layerNorms());
        }
        charts.add(loss.write(out.resolve("exploding-loss.png")));
        charts.add(norm.write(out.resolve("exploding-gradient-norm.png")));
        charts.add(layers.write(out.resolve("exploding-layer-norms.png")));
        return charts;
    }

    // ---- regularisation ------------------------------------------------------------------------

    private List<Path> regularisation(Backend backend, Path out, int epochs, long seed) {
        // Few noisy points and a large network: the recipe for over-fitting, and a picture of it.
        Dataset xor = Playground.XOR.generate(200, 0.3, seed);
        Split data = Split.stratified(xor, 0.5, seed);
        String setup = "XOR with noise 0.3, 100 training and 100 test points, 2-256-256-2 ReLU, He init,"
                + " SGD momentum 0.9, lr 0.05, mini-batch 32";
        report.line("%s", setup);
        Object[][] variants = {
            {"no regularisation", 0f, 0f, 0f},
            {"L1 1e-3", 1e-3f, 0f, 0f},
            {"L2 1e-2", 0f, 1e-2f, 0f},
            {"dropout 0.5", 0f, 0f, 0.5f},
        };
        List<Run> runs = new ArrayList<>();
        List<Path> charts = new ArrayList<>();
        for (Object[] v : variants) {
            TrainingConfig config = TrainingConfig.builder()
                    .hidden(Activation.RELU, 256, 256)
                    .init(Init.heNormal())
                    .l1((float) v[1])
                    .l2((float) v[2])
                    .dropout((float) v[3])
                    .optimiser(OptimiserConfig.momentum(0.05f, 0.9f))
                    .batch(BatchMode.MINI_BATCH, 32)
                    .epochs(epochs)
                    .seed(seed)
                    .build();
            String file = "regularisation-surface-" + ((String) v[0]).replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "")
                    .toLowerCase(Locale.ROOT) + ".png";
            runs.add(train(backend, (String) v[0], config, data, false, trainer -> charts.add(TrainCommand.surface(
                    out.resolve(file), "Decision surface, " + v[0] + " (test points too)",
                    "XOR, noise 0.3, 2-256-256-2 ReLU, " + epochs + " epochs", trainer, data.train(), data.test()))));
        }
        report.line("");
        report.result("  %-20s %12s %12s %16s %16s %14s", "", "train loss", "test loss", "lowest test", "test accuracy",
                "train acc");
        for (Run r : runs) {
            EpochStats last = r.history().last();
            EpochStats best = r.history().epochs().stream()
                    .min(java.util.Comparator.comparingDouble(EpochStats::testLoss)).orElseThrow();
            report.result("  %-20s %12.4f %12.4f %7.4f (ep %3d) %15.2f%% %13.2f%%", r.label(), last.trainEvalLoss(),
                    last.testLoss(), best.testLoss(), best.epoch(), 100 * last.testAccuracy(), 100 * last.trainAccuracy());
        }
        LineChart loss = new LineChart("Regularisation: train and test loss", "epoch", "data loss (cross-entropy, no penalty)")
                .logY().subtitle(setup + "; dashed: train, solid: test");
        LineChart acc = new LineChart("Regularisation: test accuracy", "epoch", "test accuracy").subtitle(setup);
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            double[] e = r.history().epochNumbers();
            loss.add(r.label() + " train", e, r.history().series(EpochStats::trainEvalLoss), Palette.color(i), true);
            loss.add(r.label() + " test", e, r.history().series(EpochStats::testLoss), Palette.color(i), false);
            acc.add(r.label(), e, r.history().series(EpochStats::testAccuracy), Palette.color(i), false);
        }
        charts.add(0, acc.write(out.resolve("regularisation-accuracy.png")));
        charts.add(0, loss.write(out.resolve("regularisation-loss.png")));
        return charts;
    }

    // ---- shared --------------------------------------------------------------------------------

    private Run train(Backend backend, String label, TrainingConfig config, Split data, boolean perStep) {
        return train(backend, label, config, data, perStep, trainer -> { });
    }

    /** Trains one variant; {@code after} runs with the trained network before it is closed (to draw it). */
    private Run train(Backend backend, String label, TrainingConfig config, Split data, boolean perStep,
                      java.util.function.Consumer<Trainer> after) {
        report.line("");
        report.line("%s: %s", label, config.describe(data.train().columns(), data.train().classes()));
        try (Trainer trainer = new Trainer(backend, config, data.train(), data.test())) {
            double[] layerNorms = trainer.layerGradientNorms(256);
            List<double[]> steps = new ArrayList<>();
            if (perStep) {
                trainer.onStep((step, loss, norm) -> steps.add(new double[] {step, loss, norm}));
            }
            int every = Math.max(1, config.epochs() / 5);
            History h = trainer.fit(e -> {
                if (e.epoch() == 1 || e.epoch() % every == 0 || !Double.isFinite(e.trainLoss())) {
                    report.progress("  " + TrainCommand.epochLine(e));
                }
            });
            if (h.diverged()) {
                report.result("  diverged: the training loss is %s at epoch %d", h.last().trainLoss(), h.divergedAt());
            }
            after.accept(trainer);
            return new Run(label, config, h, layerNorms, steps);
        }
    }

    private void summary(List<Run> runs) {
        report.line("");
        report.result("  %-40s %12s %14s %14s", "", "final loss", "test accuracy", "samples/s");
        for (Run r : runs) {
            EpochStats last = r.history().last();
            report.result("  %-40s %12.4f %13.2f%% %,14.0f%s", r.label(), last.trainLoss(), 100 * last.testAccuracy(),
                    r.history().samplesPerSecond(), r.history().diverged() ? "  diverged at epoch " + r.history().divergedAt() : "");
        }
    }
}
