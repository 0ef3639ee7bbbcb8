package dev.kengine.spark;

import org.apache.spark.sql.SparkSession;

/** One local Spark for all the tests of the module: 2 cores, a failed task tried up to 3 times. */
final class SparkTestSession {
    private static SparkSession spark;

    private SparkTestSession() {}

    static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2,3]").appName("engine-spark tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
        }
        return spark;
    }
}
