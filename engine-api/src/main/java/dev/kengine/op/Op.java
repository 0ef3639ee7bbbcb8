package dev.kengine.op;

/**
 * Every operation of the engine, as one list, so that a backend can declare which it implements
 * and the conformance kit can report an op a backend lacks as skipped, never as passed. The
 * contract of each op (shapes, what it computes) is written once, on the corresponding method of
 * {@link dev.kengine.Backend}.
 */
public enum Op {
    /**
     * Setting every element to one value: {@link dev.kengine.Backend#fill Backend.fill}, {@code full},
     * {@code zeros}, {@code scalar}.
     */
    FILL,
    /** Copying one tensor into another: {@link dev.kengine.Backend#copy Backend.copy}, {@code copyOf}. */
    COPY,
    /**
     * Host data into a tensor: {@code Backend.of}, {@code Tensor.copyFrom}. Every driver implements
     * {@link dev.kengine.spi.BackendDriver#write}, so the facade does not check this op; the
     * conformance kit skips its transfer checks for a backend that leaves it out.
     */
    UPLOAD,
    /**
     * A tensor into host memory: {@code Tensor.toArray}, {@code item}, {@code copyTo}. Every driver
     * implements {@link dev.kengine.spi.BackendDriver#read}, so the facade does not check this op.
     */
    DOWNLOAD,
    /** {@code Backend.cast}: a tensor converted to another dtype by the rules of {@link dev.kengine.Conversions}. */
    CAST,
    /**
     * Elementwise a + b, with a broadcast row: {@link dev.kengine.Backend#add(Tensor, Tensor)
     * Backend.add}.
     */
    ADD,
    /**
     * Elementwise a − b, with a broadcast row: {@link dev.kengine.Backend#sub(Tensor, Tensor)
     * Backend.sub}.
     */
    SUB,
    /**
     * Elementwise a ⊙ b, with a broadcast row: {@link dev.kengine.Backend#mul(Tensor, Tensor)
     * Backend.mul}.
     */
    MUL,
    /**
     * Elementwise a / b, with a broadcast row: {@link dev.kengine.Backend#div(Tensor, Tensor)
     * Backend.div}.
     */
    DIV,
    /**
     * s · x: {@link dev.kengine.Backend#scale(Tensor, float) Backend.scale}; also needed by {@link
     * #CLIP_GRAD_NORM}.
     */
    SCALE,
    /** y += alpha · x: {@link dev.kengine.Backend#axpy Backend.axpy}. */
    AXPY,
    /** A sum over an axis or of all elements: {@link dev.kengine.Backend#sum(Tensor, int) Backend.sum}. */
    SUM,
    /** A mean over an axis or of all elements: {@link dev.kengine.Backend#mean(Tensor, int) Backend.mean}. */
    MEAN,
    /**
     * The L2 norm of all elements: {@link dev.kengine.Backend#l2Norm Backend.l2Norm}; also needed by
     * {@link #CLIP_GRAD_NORM}.
     */
    L2_NORM,
    /** The maximum over the last axis: {@link dev.kengine.Backend#max Backend.max}. */
    MAX,
    /** The index of the maximum over the last axis: {@link dev.kengine.Backend#argmax Backend.argmax}. */
    ARGMAX,
    /**
     * Plain, transposed, scaled and batched matrix products: {@link dev.kengine.Backend#matmul(Tensor,
     * Tensor) Backend.matmul}.
     */
    MATMUL,
    /** The fused dense layer act(x·W + b): {@link dev.kengine.Backend#linear Backend.linear}. */
    LINEAR,
    /**
     * The gradients of the dense layer: {@link dev.kengine.Backend#linearBackward(Tensor,
     * dev.kengine.LinearOutput) Backend.linearBackward}.
     */
    LINEAR_BACKWARD,
    /**
     * An elementwise {@link Activation}: {@link dev.kengine.Backend#activation(Tensor, Activation)
     * Backend.activation}, {@code relu}, {@code sigmoid}, {@code tanh}.
     */
    ACTIVATION,
    /**
     * The gradient of an {@link Activation}: {@link dev.kengine.Backend#activationBackward(Tensor,
     * Tensor, Tensor, Activation) Backend.activationBackward}.
     */
    ACTIVATION_BACKWARD,
    /** PReLU with a learnable slope: {@link dev.kengine.Backend#prelu Backend.prelu}. */
    PRELU,
    /** The gradients of PReLU: {@link dev.kengine.Backend#preluBackward Backend.preluBackward}. */
    PRELU_BACKWARD,
    /** Softmax over the last axis: {@link dev.kengine.Backend#softmax Backend.softmax}. */
    SOFTMAX,
    /** The gradient of softmax: {@link dev.kengine.Backend#softmaxBackward Backend.softmaxBackward}. */
    SOFTMAX_BACKWARD,
    /** Log-softmax over the last axis: {@link dev.kengine.Backend#logSoftmax Backend.logSoftmax}. */
    LOG_SOFTMAX,
    /**
     * The gradient of log-softmax: {@link dev.kengine.Backend#logSoftmaxBackward
     * Backend.logSoftmaxBackward}.
     */
    LOG_SOFTMAX_BACKWARD,
    /**
     * An elementwise {@link Loss}, reduced: {@link dev.kengine.Backend#loss Backend.loss}; with {@link
     * #LOSS_BACKWARD}, {@code lossWithGradient}.
     */
    LOSS,
    /** The gradient of a {@link Loss}: {@link dev.kengine.Backend#lossBackward Backend.lossBackward}. */
    LOSS_BACKWARD,
    /**
     * Softmax cross-entropy and its gradient, against labels or probabilities: {@link
     * dev.kengine.Backend#softmaxCrossEntropy(Tensor, int[], Reduction) Backend.softmaxCrossEntropy},
     * {@code softmaxCrossEntropyLoss}.
     */
    SOFTMAX_CROSS_ENTROPY,
    /**
     * Inverted dropout with a counter-based mask: {@link dev.kengine.Backend#dropout(Tensor, float,
     * long, long) Backend.dropout}.
     */
    DROPOUT,
    /**
     * The gradient of dropout: {@link dev.kengine.Backend#dropoutBackward(Tensor, Tensor, float)
     * Backend.dropoutBackward}.
     */
    DROPOUT_BACKWARD,
    /**
     * Uniform initial values (uniform, Xavier and He uniform): {@link dev.kengine.Backend#init(Tensor,
     * Init, long, long) Backend.init}.
     */
    INIT_UNIFORM,
    /**
     * Normal initial values (normal, Xavier and He normal): {@link dev.kengine.Backend#init(Tensor,
     * Init, long, long) Backend.init}.
     */
    INIT_NORMAL,
    /** One SGD step in place: {@link dev.kengine.Backend#sgdStep Backend.sgdStep}. */
    SGD_STEP,
    /** One Adam or AdamW step in place: {@link dev.kengine.Backend#adamStep Backend.adamStep}. */
    ADAM_STEP,
    /** The L1/L2 regularisation penalty: {@link dev.kengine.Backend#penalty Backend.penalty}. */
    PENALTY,
    /**
     * Clipping gradients by their global norm: {@link dev.kengine.Backend#clipGradNorm
     * Backend.clipGradNorm}, which also needs {@link #L2_NORM} and {@link #SCALE}.
     */
    CLIP_GRAD_NORM
}
