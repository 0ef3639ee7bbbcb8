package dev.kengine.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * Everything a distributed training run needs besides the data: the network, the optimiser and the
 * engine the tasks open.
 *
 * @param spec             the network
 * @param optimiser        {@code adam} or {@code sgd}
 * @param learningRate     the optimiser's step size
 * @param batchSize        rows per step, over all tasks together (the global batch)
 * @param epochs           passes over the data
 * @param dropout          probability of dropping a hidden unit while training, in [0, 1)
 * @param l2               L2 penalty on the weights (not the biases), added to the gradient in the optimiser step
 * @param seed             seeds the initial weights, the order of the rows and the dropout masks
 * @param backend          the backend the tasks open ({@code auto}, {@code cpu}, {@code cuda}, ...)
 * @param backendOptions   options for that backend
 * @param aggregationDepth depth of the {@code treeAggregate} that sums the gradients
 * @param aggregation      how the gradients are summed: {@code tree} ({@code treeAggregate} to the driver),
 *                         {@code barrier} (a barrier stage's all-gather) or {@code auto} (by parameter count)
 */
record TrainingOptions(NetworkSpec spec, String optimiser, float learningRate, int batchSize, int epochs, float dropout,
                       float l2, long seed, String backend, Map<String, String> backendOptions, int aggregationDepth,
                       String aggregation)
        implements Serializable {
    TrainingOptions {
        backendOptions = Map.copyOf(backendOptions);
    }
}
