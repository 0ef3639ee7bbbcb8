package dev.kengine;

import java.util.Arrays;

/**
 * The dimensions of a row-major tensor of rank 0 to 4. A rank-0 shape is a scalar with one element.
 * Every dimension is at least 0 and the element count fits in a {@code long}; both are checked here,
 * once, so no backend sees a negative or overflowing size.
 */
public final class Shape {
    /** The highest rank a tensor may have. */
    public static final int MAX_RANK = 4;

    private static final Shape SCALAR = new Shape(new long[0], 1);

    private final long[] dims;
    private final long size;

    private Shape(long[] dims, long size) {
        this.dims = dims;
        this.size = size;
    }

    /**
     * A shape with the given dimensions.
     *
     * @param dims the dimensions, outermost first: 0 to 4 of them, each ≥ 0; none gives the scalar
     *     shape; the array is copied
     * @return the shape
     * @throws InvalidArgumentException if {@code dims} is null, the rank exceeds 4, a dimension is
     *     negative, or the element count of a shape without a zero dimension overflows a long
     */
    public static Shape of(long... dims) {
        if (dims == null) {
            throw new InvalidArgumentException("shape dimensions are null");
        }
        if (dims.length == 0) {
            return SCALAR;
        }
        if (dims.length > MAX_RANK) {
            throw new InvalidArgumentException(
                    "shape " + Arrays.toString(dims) + " has rank " + dims.length + "; the highest rank is " + MAX_RANK);
        }
        long size = 1;
        boolean empty = false;
        for (long d : dims) {
            if (d < 0) {
                throw new InvalidArgumentException(
                        "shape " + Arrays.toString(dims) + " has a negative dimension " + d);
            }
            empty |= d == 0;
        }
        for (long d : dims) {
            if (empty) {
                size = 0; // no elements, however large the other dimensions
                break;
            }
            try {
                size = Math.multiplyExact(size, d);
            } catch (ArithmeticException e) {
                throw new InvalidArgumentException(
                        "shape " + Arrays.toString(dims) + " has more elements than a long can count");
            }
        }
        return new Shape(dims.clone(), size);
    }

    /**
     * Same as {@link #of(long...)} for int dimensions.
     *
     * @param dims the dimensions, outermost first: 0 to 4 of them, each ≥ 0
     * @return the shape
     * @throws InvalidArgumentException if {@code dims} is null, the rank exceeds 4, a dimension is
     *     negative, or the element count of a shape without a zero dimension overflows a long
     */
    public static Shape of(int... dims) {
        if (dims == null) {
            throw new InvalidArgumentException("shape dimensions are null");
        }
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            l[i] = dims[i];
        }
        return of(l);
    }

    /**
     * The rank-0 shape: one element.
     *
     * @return the shape {@code []}
     */
    public static Shape scalar() {
        return SCALAR;
    }

    /**
     * The number of dimensions.
     *
     * @return 0 to {@value #MAX_RANK}
     */
    public int rank() {
        return dims.length;
    }

    /**
     * Dimension {@code axis}; a negative axis counts from the end ({@code -1} is the last).
     *
     * @param axis an axis in {@code [-rank, rank)}
     * @return the dimension, ≥ 0
     * @throws InvalidArgumentException if the axis is outside {@code [-rank, rank)}
     */
    public long dim(int axis) {
        return dims[normalizeAxis(axis)];
    }

    /**
     * The number of elements: the product of the dimensions, 1 for a scalar.
     *
     * @return the element count, ≥ 0
     */
    public long size() {
        return size;
    }

    /**
     * A copy of the dimensions.
     *
     * @return a new array of {@link #rank()} dimensions, outermost first
     */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * The last dimension, or 1 for a scalar.
     *
     * @return the length of a row
     */
    public long lastDim() {
        return dims.length == 0 ? 1 : dims[dims.length - 1];
    }

    /**
     * The product of every dimension but the last (the number of rows); 1 for rank 0 and 1.
     *
     * @return the number of rows of the shape viewed as {@code [rows, lastDim]}
     */
    public long rows() {
        long p = 1;
        for (int i = 0; i < dims.length - 1; i++) {
            p *= dims[i];
        }
        return p;
    }

    /**
     * This shape without the dimension at {@code axis}.
     *
     * @param axis the axis removed, in {@code [-rank, rank)}
     * @return a shape of rank one less
     * @throws InvalidArgumentException if the axis is outside {@code [-rank, rank)}
     */
    public Shape without(int axis) {
        int a = normalizeAxis(axis);
        long[] d = new long[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i != a) {
                d[j++] = dims[i];
            }
        }
        return of(d);
    }

    /**
     * The axis index in {@code [0, rank)} for {@code axis}, which may be negative (counting from
     * the end).
     *
     * @param axis an axis in {@code [-rank, rank)}
     * @return {@code axis} if it is ≥ 0, else {@code axis + rank}
     * @throws InvalidArgumentException when the axis is outside {@code [-rank, rank)}
     */
    public int normalizeAxis(int axis) {
        int a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length) {
            throw new InvalidArgumentException(
                    "axis " + axis + " is outside shape " + this + " of rank " + dims.length);
        }
        return a;
    }

    /**
     * Whether {@code o} is a shape with the same dimensions.
     *
     * @param o the object compared, may be null
     * @return true for an equal shape
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    /**
     * A hash of the dimensions, consistent with {@link #equals(Object)}.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /**
     * The dimensions in brackets, for example {@code [64, 32]}; a scalar is {@code []}.
     *
     * @return the dimensions as text
     */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
