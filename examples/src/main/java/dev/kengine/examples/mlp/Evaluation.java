package dev.kengine.examples.mlp;

/** The mean data loss and the accuracy (fraction of samples whose largest output is their label) on a data set. */
public record Evaluation(double loss, double accuracy) {}
