package dev.kengine.examples.data;

import java.util.SplittableRandom;

/** A train/test split made by a seeded shuffle, stratified so each class keeps its share in both parts. */
public record Split(Dataset train, Dataset test) {

    /**
     * Puts {@code round(testFraction · n_c)} samples of each class c in the test set, chosen by a
     * shuffle seeded with {@code seed}; the rest, in shuffled order, form the training set.
     */
    public static Split stratified(Dataset data, double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new DataException("the test fraction must be in (0, 1), got " + testFraction);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] counts = data.classCounts();
        int[][] byClass = new int[data.classes()][];
        int[] filled = new int[data.classes()];
        for (int c = 0; c < data.classes(); c++) {
            byClass[c] = new int[counts[c]];
        }
        for (int i = 0; i < data.rows(); i++) {
            int c = data.labels()[i];
            byClass[c][filled[c]++] = i;
        }
        int testSize = 0;
        int[] testPerClass = new int[data.classes()];
        for (int c = 0; c < data.classes(); c++) {
            shuffle(byClass[c], random);
            testPerClass[c] = (int) Math.round(testFraction * counts[c]);
            testSize += testPerClass[c];
        }
        if (testSize == 0 || testSize == data.rows()) {
            throw new DataException(data.name() + ": " + data.rows() + " samples are too few to split with test fraction "
                    + testFraction);
        }
        int[] test = new int[testSize];
        int[] train = new int[data.rows() - testSize];
        int t = 0;
        int r = 0;
        for (int c = 0; c < data.classes(); c++) {
            for (int k = 0; k < byClass[c].length; k++) {
                if (k < testPerClass[c]) {
                    test[t++] = byClass[c][k];
                } else {
                    train[r++] = byClass[c][k];
                }
            }
        }
        shuffle(train, random);
        shuffle(test, random);
        return new Split(data.subset(data.name() + " train", train), data.subset(data.name() + " test", test));
    }

    /** Fisher–Yates with the given generator: the same seed gives the same order on every machine. */
    public static void shuffle(int[] a, SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }

    /** The same split with both parts standardised by the training part's statistics. */
    public Split standardised() {
        Standardiser s = Standardiser.fit(train);
        return new Split(s.apply(train), s.apply(test));
    }
}
