package dev.kengine.bench.accuracy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.bench.accuracy.AccuracyCase.Definition;
import dev.kengine.bench.accuracy.Accuracy.Cell;
import dev.kengine.bench.accuracy.Accuracy.Report;
import dev.kengine.bench.accuracy.Accuracy.Row;
import dev.kengine.conformance.Tolerances;
import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyTest {
    /** One small case of every op family (the batched matmul and the 1e6 reductions are the only big ones). */
    private static final List<String> SUBSET = List.of("relu fwd uniform", "tanh fwd mid", "gelu bwd tails", "softmax fwd",
            "logSoftmax bwd", "loss mse", "loss binary_cross_entropy_with_logits", "softmaxCrossEntropy", "sgd nesterov",
            "adam g=90", "sum n=1e6 huge", "mean n=1e6 tiny", "l2Norm n=1e6 huge", "matmul 64x33x64", "matmul batch=4",
            "linear fwd rows=64 in=33", "linearBackward rows=64 in=33");

    private static final Set<String> FAMILIES = Set.of("activation", "activation backward", "softmax", "log-softmax", "loss",
            "cross-entropy", "sgd", "adam", "sum", "mean", "l2Norm", "matmul", "batched matmul", "linear", "linear backward");

    @Test
    void everyOpFamilyActivationAndLossKindHasCases() {
        List<Definition> all = Cases.all();
        assertEquals(FAMILIES, all.stream().map(Definition::family).collect(Collectors.toSet()));
        assertEquals(all.size(), all.stream().map(Definition::name).collect(Collectors.toSet()).size(), "case names are unique");
        Set<Activation.Kind> kinds = EnumSet.noneOf(Activation.Kind.class);
        for (Activation a : Cases.ACTIVATIONS) {
            kinds.add(a.kind());
            for (String dir : new String[] {" fwd ", " bwd "}) {
                for (String set : new String[] {"tails", "near0", "mid", "uniform"}) {
                    String name = a + dir + set;
                    assertTrue(all.stream().anyMatch(d -> d.name().equals(name)), "no case " + name);
                }
            }
        }
        assertEquals(EnumSet.allOf(Activation.Kind.class), kinds);
        assertTrue(all.stream().anyMatch(d -> d.name().startsWith("swish(1.0)")) && all.stream().anyMatch(d -> d.name().startsWith("swish(1.5)")));
        Set<Loss.Kind> losses = EnumSet.noneOf(Loss.Kind.class);
        for (Loss l : Cases.LOSSES) {
            losses.add(l.kind());
        }
        assertEquals(EnumSet.allOf(Loss.Kind.class), losses);
    }

    @Test
    void measuresEveryFamilyOnTheCpuWithinTheKitsBounds() {
        List<AccuracyCase> cases = Cases.build(SUBSET);
        Report r = Accuracy.measure(cases, Accuracy.columns("cpu"), null);
        assertEquals(List.of("cpu-simd", "cpu-scalar"), r.columns().stream().map(Accuracy.Column::column).toList(), "unavailable: " + r.unavailable());
        assertEquals(cases.stream().mapToInt(c -> c.outputs().size()).sum(), r.rows().size());
        assertEquals(FAMILIES, r.rows().stream().map(row -> row.aCase().family()).collect(Collectors.toSet()), "a row per op family");
        for (Row row : r.rows()) {
            for (String col : List.of("cpu-simd", "cpu-scalar")) {
                Cell cell = row.cells().get(col);
                String where = row.output().row() + " on " + col;
                assertNull(cell.error(), where);
                assertTrue(Double.isFinite(cell.measure().maxUlp()) && Double.isFinite(cell.measure().maxAbs()), where + ": " + cell.measure());
                assertTrue(cell.toleranceUsed() >= 0 && cell.toleranceUsed() <= 1, where + " uses " + cell.toleranceUsed() + " of the kit's bound");
            }
            assertNull(row.torch());
        }
        Row relu = r.rows().stream().filter(row -> row.output().row().equals("relu fwd uniform")).findFirst().orElseThrow();
        assertEquals(0, relu.cells().get("cpu-scalar").measure().maxUlp(), "relu is exact");
        // The sum of 10^6 huge values stays finite and close: the engine does not overflow at 1e19.
        Row sum = r.rows().stream().filter(row -> row.output().row().startsWith("sum n=1e6 huge")).findFirst().orElseThrow();
        assertTrue(sum.cells().get("cpu-simd").measure().maxUlp() < 1e3, sum.cells().toString());

        assertEquals("left out (--no-torch)", r.torchNote());
        String text = Table.text(r);
        for (Row row : r.rows()) {
            assertTrue(text.contains(row.output().row()), "the table lacks " + row.output().row());
        }
        assertTrue(text.contains("torch: not present"), text);
        assertTrue(Table.failures(r).isEmpty(), "no verdicts without PyTorch");
        assertTrue(Table.markdown(r).contains("| tanh fwd mid |"));
    }

    @Test
    void theMeasureDetectsAnInjectedError() {
        AccuracyCase tanh = Cases.build(List.of("tanh fwd mid")).get(0);
        Report r = Accuracy.measure(List.of(tanh), Accuracy.columns("cpu-scalar"), null);
        Cell clean = r.rows().get(0).cells().get("cpu-scalar");
        double[] expected = tanh.outputs().get(0).expected();
        float[] actual = clean.worstValue().clone();
        assertTrue(clean.measure().maxUlp() < 4, "tanh on the scalar path: " + clean.measure());

        int k = 1234;
        float correct = (float) expected[k];
        float off = correct;
        for (int i = 0; i < 40; i++) {
            off = Math.nextUp(off);
        }
        actual[k] = off;
        Measure m = Measure.of(expected, actual);
        assertEquals(k, m.worst());
        assertTrue(m.maxUlp() >= 39.5 && m.maxUlp() <= 40.5, m.toString());
        assertTrue(m.maxAbs() > clean.measure().maxAbs());
        assertTrue(Measure.toleranceUsed(Tolerances.activation(Activation.TANH), expected, actual, null) > 1,
                "40 ulp exceeds tanh's 5 ulp bound");

        actual[k] = Float.NaN;
        assertEquals(Double.POSITIVE_INFINITY, Measure.of(expected, actual).maxUlp());
        assertEquals(Double.POSITIVE_INFINITY, Measure.toleranceUsed(Tolerances.activation(Activation.TANH), expected, actual, null));

        // An exact op one ulp off is beyond its tolerance; the correctly rounded value uses none of it.
        double[] e = {1.0 / 3, 2.5, -7};
        float[] a = {(float) (1.0 / 3), 2.5f, -7f};
        assertEquals(0, Measure.toleranceUsed(Tolerances.ADD, e, a, null));
        assertTrue(Measure.of(e, a).maxUlp() <= 0.5);
        a[0] = Math.nextUp(a[0]);
        assertTrue(Measure.toleranceUsed(Tolerances.ADD, e, a, null) > 1);
        // Below the normal range the ulp is floored at 2^-126: a flushed subnormal counts under one ulp.
        assertTrue(Measure.of(new double[] {1e-40}, new float[] {0f}).maxUlp() < 1);
    }

    @Test
    void theCriterionAllowsTwicePyTorchsErrorPlusOne() {
        Measure torch = new Measure(1e-7, 1.0, 0, 0x1p-23);
        assertTrue(Accuracy.ulpCriterion(new Measure(1e-7, 3.0, 0, 0x1p-23), torch));
        assertFalse(Accuracy.ulpCriterion(new Measure(1e-7, 3.01, 0, 0x1p-23), torch));
        assertTrue(Accuracy.absCriterion(new Measure(2e-7 + 0x1p-23, 9, 0, 0x1p-23), torch));
        assertFalse(Accuracy.absCriterion(new Measure(2e-7 + 0x1p-22, 9, 0, 0x1p-23), torch));
        // PyTorch overflowing (an infinite error) passes any finite result.
        assertTrue(Accuracy.ulpCriterion(new Measure(1, 1e6, 0, 1), new Measure(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 1)));
    }

    @Test
    void inputsAndOutputsGoThroughRawLittleEndianFiles(@TempDir Path dir) throws IOException {
        List<AccuracyCase> cases = Cases.build(List.of("loss mse", "softmaxCrossEntropy"));
        Map<String, AccuracyCase> byId = TorchColumn.writeInputs(dir, cases);
        assertEquals(Set.of("c000", "c001"), byId.keySet());
        String manifest = Files.readString(dir.resolve("manifest.json"));
        assertTrue(manifest.contains("\"op\": \"loss\"") && manifest.contains("\"kind\": \"mse\"") && manifest.contains("\"dtype\": \"i32\""), manifest);
        float[] p = cases.get(0).inputs().get(0).values();
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("in0.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4 * p.length, in.capacity());
        assertEquals(p[5], in.getFloat(4 * 5));

        // What the script writes back: one output file per output, and the status lines.
        AccuracyCase mse = byId.get("c000");
        float[] grad = new float[mse.outputs().get(1).expected().length];
        grad[3] = 0.25f;
        write(dir.resolve("c000.loss.out.f32"), new float[] {1.5f});
        write(dir.resolve("c000.grad.out.f32"), grad);
        Files.writeString(dir.resolve("status.tsv"), "torch\t9.9\nc000\tok\nc001\terror\tValueError: no\n");
        TorchColumn.Results res = TorchColumn.readOutputs(dir, byId);
        assertEquals("9.9", res.version());
        assertNull(res.notPresent());
        assertArrayEquals(new float[] {1.5f}, res.values().get(mse.name()).get("loss"));
        assertArrayEquals(grad, res.values().get(mse.name()).get("grad"));
        assertEquals("ValueError: no", res.errors().get(byId.get("c001").name()));
    }

    @Test
    void withoutPythonThePyTorchColumnIsNotPresentRatherThanAFailure() {
        List<AccuracyCase> cases = Cases.build(List.of("relu fwd near0"));
        TorchColumn.Results noPython = new TorchColumn("/nonexistent/python3", TorchColumn.findScript(null), 30).run(cases);
        assertNotNull(noPython.notPresent());
        assertTrue(noPython.notPresent().contains("cannot be started"), noPython.notPresent());
        TorchColumn.Results noScript = new TorchColumn("python3", null, 30).run(cases);
        assertTrue(noScript.notPresent().contains("not found"), noScript.notPresent());
        Report r = Accuracy.measure(cases, Accuracy.columns("cpu-scalar"), new TorchColumn("/nonexistent/python3", null, 30));
        assertTrue(Table.text(r).contains("torch: not present"));
        assertTrue(Table.text(r).lines().filter(l -> l.startsWith("relu fwd near0")).findFirst().orElseThrow().endsWith("n/a"), "no verdict without PyTorch");
    }

    @Test
    void thePyTorchScriptMirrorsTheOps() throws Exception {
        String python = TorchColumn.defaultPython();
        Assumptions.assumeTrue(torchImportable(python), "PyTorch is not importable by " + python);
        Path script = TorchColumn.findScript(null);
        assertNotNull(script, "scripts/accuracy-torch.py");
        List<AccuracyCase> cases = Cases.build(List.of("sigmoid fwd mid", "relu bwd mid", "loss mse", "sgd momentum=0.9 random",
                "adamW", "matmul 64x33x64"));
        Report r = Accuracy.measure(cases, List.of(), new TorchColumn(python, script, 300));
        assertNull(r.torchNote(), r.torchNote());
        Set<String> seen = new HashSet<>();
        for (Row row : r.rows()) {
            Cell t = row.torch();
            assertNull(t.error(), row.output().row());
            seen.add(row.aCase().family());
            // Elementwise ops and optimiser steps: a few ulps at most where nothing cancels; matmul within its kit bound.
            if (!row.aCase().family().equals("matmul") && !row.aCase().family().equals("sgd") && !row.output().name().equals("m")) {
                assertTrue(t.measure().maxUlp() < 4, row.output().row() + ": " + t.measure());
            }
            assertTrue(Measure.toleranceUsed(row.output().tol(), row.output().expected(), t.worstValue(), row.output().tolRef()) <= 1,
                    row.output().row());
        }
        assertEquals(new LinkedHashSet<>(List.of("activation", "activation backward", "loss", "sgd", "adam", "matmul")), seen);
    }

    private static boolean torchImportable(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch, numpy").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void write(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Files.write(file, b.array());
    }
}
