package dev.kengine.bench.peer;

import dev.kengine.bench.report.Timing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.impl.scalar.LeakyReLU;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.strict.ELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SoftPlus;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * ND4J as a peer of {@code ./engine compare}: a JVM of its own (started by {@link Peer}, one per thread count, with
 * OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and OMP_WAIT_POLICY=PASSIVE in its environment before ND4J loads; here the
 * thread count is also given to ND4J's own pool and its BLAS through {@code Nd4j.getEnvironment().setMaxThreads},
 * {@code setMaxMasterThreads} and {@code blas().setMaxThreads}). It answers the requests of {@link Protocol} on
 * stdin/stdout, as a user of ND4J would write them: {@code mmuli} into a preallocated C, the transform ops into a
 * preallocated y, {@link LossMCXENT} with a softmax for the cross-entropy (divided by the rows, as a mean's gradient
 * is), and a training step written with ND4J's ops and its {@link AdamUpdater}. ND4J prints its log on stderr.
 */
public final class Nd4jServer {
    private Nd4jServer() {}

    public static void main(String[] args) throws IOException {
        // ND4J and its libraries may print on stdout; the protocol keeps the real one to itself.
        PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        int threads = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "1"));
        String version;
        try {
            Nd4j.getEnvironment().setMaxThreads(threads);
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            Nd4j.factory().blas().setMaxThreads(threads);
            version = "ND4J " + jarVersion() + " (" + Nd4j.getBackend().getClass().getSimpleName()
                    + ", BLAS " + Nd4j.factory().blas().getBlasVendor() + ", " + Nd4j.getEnvironment().maxThreads() + " threads)";
        } catch (Throwable e) {
            protocol.println(Protocol.format("unavailable", Map.of("reason", "ND4J failed to load: " + e)));
            System.exit(3);
            return;
        }
        protocol.println(Protocol.format("ready", Map.of("version", version, "threads", threads)));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            Protocol.Message req;
            try {
                req = Protocol.parse(line);
            } catch (IllegalArgumentException e) {
                protocol.println(Protocol.format("error", Map.of("message", e.getMessage())));
                continue;
            }
            if (req.kind().equals("quit")) {
                break;
            }
            try {
                PeerTiming.Measured m = run(req);
                Map<String, Object> reply = new LinkedHashMap<>();
                reply.put("runs", m.runs());
                reply.put("seconds", Protocol.join(m.seconds()));
                protocol.println(Protocol.format("ok", reply));
            } catch (Throwable e) {
                protocol.println(Protocol.format("error", Map.of("message", e.getClass().getSimpleName() + ": " + e.getMessage())));
            }
        }
        System.exit(0);
    }

    /** ND4J's version from its jar's name (nd4j-api-1.0.0-M2.1.jar), or "(version unknown)". */
    static String jarVersion() {
        try {
            String f = Path.of(Nd4j.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
            return f.startsWith("nd4j-api-") && f.endsWith(".jar") ? f.substring(9, f.length() - 4) : "(version unknown)";
        } catch (Exception e) {
            return "(version unknown)";
        }
    }

    static PeerTiming.Measured run(Protocol.Message req) throws IOException {
        Timing.Plan plan = new Timing.Plan(req.doubleField("warmup"), req.intField("reps"), req.doubleField("minrep"),
                req.doubleField("maxs"));
        String[] files = req.need("in").split(",");
        Path out = Path.of(req.need("out"));
        Runnable op;
        switch (req.need("op")) {
            case "sgemm" -> {
                int m = req.intField("m");
                int n = req.intField("n");
                int k = req.intField("k");
                INDArray a = Nd4j.create(floats(files[0], m * k), new long[] {m, k}, 'c');
                INDArray b = Nd4j.create(floats(files[1], k * n), new long[] {k, n}, 'c');
                INDArray c = Nd4j.create(DataType.FLOAT, m, n);
                op = () -> a.mmuli(b, c);
                op.run();
                write(out, c);
            }
            case "act" -> {
                int n = req.intField("n");
                INDArray x = Nd4j.create(floats(files[0], n), new long[] {n}, 'c');
                INDArray y = Nd4j.create(DataType.FLOAT, n);
                double p = Double.parseDouble(req.fields().getOrDefault("param", "0"));
                Object transform = switch (req.need("act")) {
                    case "relu" -> new RectifiedLinear(x, y, 0.0);
                    case "sigmoid" -> new Sigmoid(x, y);
                    case "tanh" -> new Tanh(x, y);
                    // ND4J's only GELU ops are approximations: GELU is x·σ(1.702x); the report's check says so.
                    case "gelu" -> new GELU(x, y);
                    case "silu" -> new Swish(x, y);
                    case "softplus" -> new SoftPlus(x, y);
                    case "elu" -> new ELU(x, y);
                    case "leaky_relu" -> new LeakyReLU(x, y, p);
                    default -> throw new IllegalArgumentException("ND4J peer: no activation '" + req.need("act") + "'");
                };
                op = transform instanceof CustomOp c ? () -> Nd4j.exec(c) : () -> Nd4j.exec((Op) transform);
                op.run();
                write(out, y);
            }
            case "softmax_ce" -> {
                int rows = req.intField("rows");
                int classes = req.intField("classes");
                INDArray logits = Nd4j.create(floats(files[0], rows * classes), new long[] {rows, classes}, 'c');
                int[] labels = ints(files[1], rows);
                INDArray oneHot = Nd4j.create(DataType.FLOAT, rows, classes);
                for (int i = 0; i < rows; i++) {
                    oneHot.putScalar(i, labels[i], 1f);
                }
                LossMCXENT loss = new LossMCXENT();
                ActivationSoftmax softmax = new ActivationSoftmax();
                Object[] last = new Object[1];
                op = () -> {
                    // ND4J's activation functions work in place on the pre-output: it gets a copy, as DL4J's layers do.
                    Pair<Double, INDArray> r = loss.computeGradientAndScore(oneHot, logits.dup(), softmax, null, true);
                    r.getSecond().divi(rows);
                    last[0] = r;
                };
                op.run();
                @SuppressWarnings("unchecked")
                Pair<Double, INDArray> r = (Pair<Double, INDArray>) last[0];
                write(out, Nd4j.scalar(r.getFirst().floatValue()).reshape(1), r.getSecond());
            }
            case "train" -> {
                Step step = new Step(req, files);
                int steps = req.intField("steps");
                float[] losses = new float[steps];
                for (int i = 0; i < steps; i++) {
                    losses[i] = step.run();
                }
                op = step::run;
                write(out, Nd4j.create(losses, new long[] {steps}, 'c'));
            }
            default -> throw new IllegalArgumentException("ND4J peer: unknown op '" + req.need("op") + "'");
        }
        return PeerTiming.measure(op, plan);
    }

    /** The MLP step with ND4J's ops: forward, softmax cross-entropy, backward (no input gradient for layer 1), Adam. */
    static final class Step {
        final INDArray x;
        final INDArray oneHot;
        final int batch;
        final List<INDArray> w = new ArrayList<>();
        final List<INDArray> b = new ArrayList<>();
        final List<AdamUpdater> uw = new ArrayList<>();
        final List<AdamUpdater> ub = new ArrayList<>();
        final LossMCXENT loss = new LossMCXENT();
        final ActivationSoftmax softmax = new ActivationSoftmax();
        int iteration;

        Step(Protocol.Message req, String[] files) throws IOException {
            String[] l = req.need("layers").split(",");
            int[] layers = new int[l.length];
            for (int i = 0; i < l.length; i++) {
                layers[i] = Integer.parseInt(l[i]);
            }
            batch = req.intField("batch");
            float lr = Float.parseFloat(req.need("lr"));
            x = Nd4j.create(floats(files[0], batch * layers[0]), new long[] {batch, layers[0]}, 'c');
            int[] labels = ints(files[1], batch);
            int classes = layers[layers.length - 1];
            oneHot = Nd4j.create(DataType.FLOAT, batch, classes);
            for (int i = 0; i < batch; i++) {
                oneHot.putScalar(i, labels[i], 1f);
            }
            for (int i = 0; i + 1 < layers.length; i++) {
                w.add(Nd4j.create(floats(files[2 + 2 * i], layers[i] * layers[i + 1]), new long[] {layers[i], layers[i + 1]}, 'c'));
                b.add(Nd4j.create(floats(files[3 + 2 * i], layers[i + 1]), new long[] {1, layers[i + 1]}, 'c'));
                uw.add(updater(lr, w.getLast()));
                ub.add(updater(lr, b.getLast()));
            }
        }

        private static AdamUpdater updater(float lr, INDArray p) {
            AdamUpdater u = new AdamUpdater(new Adam(lr, 0.9, 0.999, 1e-8));
            u.setStateViewArray(Nd4j.zeros(DataType.FLOAT, 1, 2 * p.length()), p.shape(), 'c', true);
            return u;
        }

        /** One step; the loss before its update. */
        float run() {
            int layers = w.size();
            INDArray[] a = new INDArray[layers + 1];
            a[0] = x;
            for (int i = 0; i < layers; i++) {
                INDArray z = a[i].mmul(w.get(i)).addiRowVector(b.get(i));
                if (i + 1 < layers) {
                    Nd4j.exec(new RectifiedLinear(z, z, 0.0));
                }
                a[i + 1] = z;
            }
            Pair<Double, INDArray> sg = loss.computeGradientAndScore(oneHot, a[layers].dup(), softmax, null, true);
            INDArray dz = sg.getSecond().divi(batch);
            for (int i = layers - 1; i >= 0; i--) {
                INDArray dw = a[i].transpose().mmul(dz);
                INDArray db = dz.sum(true, 0);
                INDArray next = null;
                if (i > 0) {
                    next = dz.mmul(w.get(i).transpose());
                    // ReLU's derivative from its output: 0 where it was clamped.
                    next.muli(a[i].gt(0).castTo(DataType.FLOAT));
                }
                uw.get(i).applyUpdater(dw, iteration, 0);
                ub.get(i).applyUpdater(db, iteration, 0);
                w.get(i).subi(dw);
                b.get(i).subi(db);
                dz = next;
            }
            iteration++;
            return sg.getFirst().floatValue();
        }
    }

    static float[] floats(String file, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(Path.of(file))).order(ByteOrder.LITTLE_ENDIAN);
        if (bb.remaining() != 4L * n) {
            throw new IOException(file + " holds " + bb.remaining() + " bytes, not " + 4L * n);
        }
        float[] f = new float[n];
        bb.asFloatBuffer().get(f);
        return f;
    }

    static int[] ints(String file, int n) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(Path.of(file))).order(ByteOrder.LITTLE_ENDIAN);
        if (bb.remaining() != 4L * n) {
            throw new IOException(file + " holds " + bb.remaining() + " bytes, not " + 4L * n);
        }
        int[] v = new int[n];
        bb.asIntBuffer().get(v);
        return v;
    }

    static void write(Path out, INDArray... arrays) throws IOException {
        int n = 0;
        for (INDArray a : arrays) {
            n += (int) a.length();
        }
        ByteBuffer bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (INDArray a : arrays) {
            for (float f : a.castTo(DataType.FLOAT).dup('c').data().asFloat()) {
                bb.putFloat(f);
            }
        }
        Files.write(out, bb.array());
    }
}
