package dev.kengine.bench.peer;

import dev.kengine.bench.OpDescriptor;
import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.Ops;
import dev.kengine.bench.TrainStep;
import dev.kengine.op.Activation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a peer is asked to run for one (op, size) of the report: the request's fields and its inputs, the very numbers
 * the engine's descriptor uploads (the same generators, the same seed), written once to files that every peer and
 * thread count reads. The output a peer writes back is laid out as the descriptor's {@code result()} is, so that it is
 * checked against the CPU backend's result the same way. The ops peers run: the square and skinny matmuls (SGEMM),
 * the activations forward, softmax cross-entropy (the mean loss, then the gradient) and the training step (the losses
 * of its first steps).
 */
public final class PeerTask {
    private final String id;
    private final Map<String, Object> fields;
    private final List<Input> inputs;

    /** One input file: its name and its content, made when first written. */
    private record Input(String file, Supplier<Object> data) {}

    private PeerTask(String id, Map<String, Object> fields, List<Input> inputs) {
        this.id = id;
        this.fields = fields;
        this.inputs = inputs;
    }

    /** The task's id, unique per (op, size): its files are named after it. */
    public String id() {
        return id;
    }

    /** The peer task of {@code d} at {@code size}, or null when peers do not run that op (backward passes, dropout, ...). */
    public static PeerTask of(OpDescriptor d, long size, long seed) {
        String id = d.name() + "-" + size;
        Map<String, Object> f = new LinkedHashMap<>();
        List<Input> in = new ArrayList<>();
        GemmShape g = d.gemm(size);
        if (g != null) {
            f.put("op", "sgemm");
            f.put("m", g.m());
            f.put("n", g.n());
            f.put("k", g.k());
            in.add(new Input(id + ".a.f32", () -> Ops.gemmInputs(g, seed)[0]));
            in.add(new Input(id + ".b.f32", () -> Ops.gemmInputs(g, seed)[1]));
            return new PeerTask(id, f, in);
        }
        if (d.name().startsWith("act_") && !d.name().endsWith("_backward")) {
            Activation a = Ops.ACTIVATIONS.stream().filter(x -> d.name().equals("act_" + Ops.activationName(x))).findFirst().orElse(null);
            if (a == null) {
                return null;
            }
            f.put("op", "act");
            f.put("act", Ops.activationName(a));
            f.put("param", (double) a.parameter());
            f.put("n", size);
            in.add(new Input(id + ".x.f32", () -> Ops.activationInput(size, seed)));
            return new PeerTask(id, f, in);
        }
        if (d.name().equals("softmax_cross_entropy")) {
            f.put("op", "softmax_ce");
            f.put("rows", size / Ops.CLASSES);
            f.put("classes", Ops.CLASSES);
            in.add(new Input(id + ".logits.f32", () -> Ops.crossEntropyLogits(size, seed)));
            in.add(new Input(id + ".labels.i32", () -> Ops.crossEntropyLabels(size, seed)));
            return new PeerTask(id, f, in);
        }
        if (d.name().equals(Ops.TRAIN_STEP)) {
            StringBuilder layers = new StringBuilder();
            for (int w : TrainStep.LAYERS) {
                layers.append(layers.isEmpty() ? "" : ",").append(w);
            }
            f.put("op", "train");
            f.put("layers", layers.toString());
            f.put("batch", TrainStep.BATCH);
            f.put("lr", (double) TrainStep.LEARNING_RATE);
            f.put("steps", TrainStep.LOSS_STEPS);
            TrainStep.Data[] data = new TrainStep.Data[1];
            Supplier<TrainStep.Data> once = () -> data[0] != null ? data[0] : (data[0] = TrainStep.Data.of(seed));
            in.add(new Input(id + ".x.f32", () -> once.get().x()));
            in.add(new Input(id + ".labels.i32", () -> once.get().labels()));
            for (int l = 0; l + 1 < TrainStep.LAYERS.length; l++) {
                int layer = l;
                in.add(new Input(id + ".w" + (l + 1) + ".f32", () -> once.get().weights().get(layer)));
                in.add(new Input(id + ".b" + (l + 1) + ".f32", () -> once.get().biases().get(layer)));
            }
            return new PeerTask(id, f, in);
        }
        return null;
    }

    /** The request's fields with the input files in {@code dir} (written there the first time). */
    Map<String, Object> request(Path dir) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>(fields);
        StringBuilder files = new StringBuilder();
        for (Input i : inputs) {
            Path p = dir.resolve(i.file());
            if (!Files.exists(p)) {
                write(p, i.data().get());
            }
            files.append(files.isEmpty() ? "" : ",").append(p);
        }
        r.put("in", files.toString());
        return r;
    }

    /** The request's fields without the files, for tests and the report. */
    public Map<String, Object> fields() {
        return Map.copyOf(fields);
    }

    /** Deletes this task's input files from {@code dir}. */
    public void deleteInputs(Path dir) {
        for (Input i : inputs) {
            try {
                Files.deleteIfExists(dir.resolve(i.file()));
            } catch (IOException e) {
                // a temporary file: best effort
            }
        }
    }

    static void write(Path p, Object data) throws IOException {
        ByteBuffer bb;
        if (data instanceof float[] f) {
            bb = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(f);
        } else if (data instanceof int[] v) {
            bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            bb.asIntBuffer().put(v);
        } else {
            throw new IllegalArgumentException("not float[] or int[]: " + data);
        }
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        Files.write(tmp, bb.array());
        Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** A little-endian float32 file. */
    public static float[] readFloats(Path p) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        if (bb.remaining() % 4 != 0) {
            throw new IOException(p + " is not a whole number of floats (" + bb.remaining() + " bytes)");
        }
        float[] f = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(f);
        return f;
    }
}
