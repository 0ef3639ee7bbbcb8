package dev.kengine.spark;

import java.io.Serializable;

/**
 * One partition's rows, packed once before training: row {@code i} of the shard is row
 * {@code first + i} of the data set, in the order of its partitions.
 *
 * @param partition the partition's index
 * @param first     the data set index of the shard's first row
 * @param rows      number of rows (0 for an empty partition)
 * @param columns   features per row
 * @param features  row-major {@code [rows, columns]}
 * @param labels    class of every row
 */
record Shard(int partition, long first, int rows, int columns, float[] features, int[] labels) implements Serializable {}
