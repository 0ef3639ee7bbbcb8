package dev.kengine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.examples.data.CsvDataset;
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
import java.util.Locale;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The accuracy targets of the examples, on the CPU backend, through the public API only. */
class TrainingTargetsTest {

    @Test
    @DisplayName("a 2-32-32-2 ReLU network reaches at least 99% training accuracy on the two spirals")
    void spirals() {
        Split data = Split.stratified(Playground.SPIRALS.generate(400, 0.05, 42), 0.25, 42);
        TrainingConfig config = TrainingConfig.builder()
                .hidden(Activation.RELU, 32, 32)
                .init(Init.heUniform())
                .optimiser(OptimiserConfig.adam(0.01f))
                .batch(BatchMode.MINI_BATCH, 32)
                .epochs(200)
                .seed(42)
                .build();
        EpochStats last = train(config, data, "spirals");
        assertTrue(last.trainAccuracy() >= 0.99, "spirals training accuracy " + last.trainAccuracy());
    }

    @Test
    @DisplayName("a two-hidden-layer MLP reaches at least 97% test accuracy on the digits")
    void digits() {
        Split data = Split.stratified(CsvDataset.digits(), 0.25, 42).standardised();
        EpochStats last = train(digits(dev.kengine.DType.FLOAT32), data, "digits");
        assertTrue(last.testAccuracy() >= 0.97, "digits test accuracy " + last.testAccuracy());
    }

    @Test
    @DisplayName("the digits MLP in bf16 and fp16 (float32 masters, fp16 loss scaling) reaches the float32 target, 97%")
    void digitsInHalfPrecision() {
        Split data = Split.stratified(CsvDataset.digits(), 0.25, 42).standardised();
        for (dev.kengine.DType p : new dev.kengine.DType[] {dev.kengine.DType.BFLOAT16, dev.kengine.DType.FLOAT16}) {
            TrainingConfig config = digits(p);
            try (Backend cpu = Engine.open("cpu"); Trainer trainer = new Trainer(cpu, config, data.train(), data.test())) {
                History h = trainer.fit(e -> { });
                EpochStats last = h.last();
                System.out.printf(Locale.ROOT, "digits in %s on cpu: test accuracy %.2f%%, %,.0f samples/s; %s; loss scale %.0f,"
                                + " %d steps skipped%n", p, 100 * last.testAccuracy(), h.samplesPerSecond(),
                        trainer.memoryReport(), trainer.lossScale(), trainer.skippedSteps());
                assertTrue(last.testAccuracy() >= 0.97, "digits test accuracy in " + p + ": " + last.testAccuracy());
                assertTrue(trainer.memoryReport().contains(p == dev.kengine.DType.BFLOAT16 ? "bf16" : "fp16"));
                // The passes ran on half-precision copies of the master weights.
                for (dev.kengine.Tensor w : trainer.network().halfParameters()) {
                    assertEquals(p, w.dtype());
                }
                assertEquals(2 * config.layers(10).size(), trainer.network().halfParameters().size());
            }
        }
    }

    /** The digits network of ./engine train: 64-128-64-10 ReLU, dropout 0.2, Adam 0.002, batches of 32, 30 epochs. */
    @Test
    @DisplayName("float16 steps skipped for overflow are not Adam steps, and the epoch's gradient norm is over the steps taken")
    void skippedFloat16Steps() {
        Split data = Split.stratified(CsvDataset.digits(), 0.25, 42).standardised();
        TrainingConfig config = digits(dev.kengine.DType.FLOAT16).toBuilder()
                .batch(BatchMode.STOCHASTIC, 1)
                .epochs(1)
                .trackGradientNorm(true)
                .build();
        try (Backend cpu = Engine.open("cpu"); Trainer trainer = new Trainer(cpu, config, data.train(), data.test())) {
            History h = trainer.fit(e -> { });
            // One row's gradient scaled by 2¹⁶ overflows float16: the first steps are skipped, halving the scale.
            assertTrue(trainer.skippedSteps() > 0, "no step was skipped");
            assertEquals(h.steps() - trainer.skippedSteps(), trainer.updates(), "Adam counts the steps taken");
            assertTrue(Double.isFinite(h.last().gradientNorm()), "mean gradient norm " + h.last().gradientNorm());
            assertTrue(h.last().testAccuracy() > 0.8, "one stochastic epoch in float16: " + h.last().testAccuracy());
        }
    }

    private static TrainingConfig digits(dev.kengine.DType precision) {
        return TrainingConfig.builder()
                .hidden(Activation.RELU, 128, 64)
                .init(Init.heUniform())
                .dropout(0.2f)
                .optimiser(OptimiserConfig.adam(0.002f))
                .batch(BatchMode.MINI_BATCH, 32)
                .epochs(30)
                .seed(42)
                .precision(precision)
                .build();
    }

    private static EpochStats train(TrainingConfig config, Split data, String name) {
        try (Backend cpu = Engine.open("cpu"); Trainer trainer = new Trainer(cpu, config, data.train(), data.test())) {
            long start = System.nanoTime();
            History h = trainer.fit(e -> { });
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochStats last = h.last();
            // Speed is reported, not asserted: it depends on the machine and its load.
            System.out.printf(Locale.ROOT, "%s on cpu: train accuracy %.2f%%, test accuracy %.2f%%, %d epochs in %.2f s"
                            + " (training %.2f s, %,.0f samples/s)%n", name, 100 * last.trainAccuracy(),
                    100 * last.testAccuracy(), h.epochs().size(), seconds, h.seconds(), h.samplesPerSecond());
            return last;
        }
    }
}
