package dev.kengine.examples.mlp;

/**
 * One epoch of training.
 *
 * @param trainLoss the training objective averaged over the epoch's samples as training saw them:
 *     with dropout active and the weights changing, plus the L1/L2 penalty when one is set
 * @param trainEvalLoss the data loss on the whole training set after the epoch, dropout off, no penalty
 * @param trainAccuracy the accuracy on the whole training set after the epoch
 * @param testLoss the data loss on the test set after the epoch (NaN without a test set)
 * @param testAccuracy the accuracy on the test set after the epoch (NaN without a test set)
 * @param gradientNorm the mean global gradient norm (before clipping) over the epoch's steps; NaN when not tracked
 * @param seconds wall time of the epoch's training steps, evaluation excluded
 * @param samples samples trained on
 * @param steps optimiser steps taken
 */
public record EpochStats(int epoch, double trainLoss, double trainEvalLoss, double trainAccuracy, double testLoss,
                         double testAccuracy, double gradientNorm, double seconds, long samples, long steps) {

    public double samplesPerSecond() {
        return seconds > 0 ? samples / seconds : Double.NaN;
    }
}
