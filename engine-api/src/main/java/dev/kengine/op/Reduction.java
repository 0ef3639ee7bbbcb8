package dev.kengine.op;

/**
 * How per-element (or per-row, for cross-entropy) losses become one number. MEAN divides the sum
 * by the element count (by the row count for the softmax cross-entropy); the gradient carries the
 * same factor.
 */
public enum Reduction { MEAN, SUM }
