package dev.kengine.op;

/**
 * How per-element (or per-row, for cross-entropy) losses become one number. MEAN divides the sum
 * by the element count (by the row count for the softmax cross-entropy); the gradient carries the
 * same factor.
 */
public enum Reduction {
    /** The sum divided by the element count (the row count for softmax cross-entropy); NaN when there are none. */
    MEAN,
    /** The plain sum; 0 when there are no elements. */
    SUM
}
