package dev.kengine.op;

/**
 * Every operation of the engine, as one list, so that a backend can declare which it implements
 * and the conformance kit can report an op a backend lacks as skipped, never as passed. The
 * contract of each op (shapes, what it computes) is written once, on the corresponding method of
 * {@link dev.kengine.Backend}.
 */
public enum Op {
    FILL, COPY, UPLOAD, DOWNLOAD,
    ADD, SUB, MUL, DIV, SCALE, AXPY,
    SUM, MEAN, L2_NORM, MAX, ARGMAX,
    MATMUL, LINEAR, LINEAR_BACKWARD,
    ACTIVATION, ACTIVATION_BACKWARD, PRELU, PRELU_BACKWARD,
    SOFTMAX, SOFTMAX_BACKWARD, LOG_SOFTMAX, LOG_SOFTMAX_BACKWARD,
    LOSS, LOSS_BACKWARD, SOFTMAX_CROSS_ENTROPY,
    DROPOUT, DROPOUT_BACKWARD,
    INIT_UNIFORM, INIT_NORMAL,
    SGD_STEP, ADAM_STEP, PENALTY, CLIP_GRAD_NORM
}
