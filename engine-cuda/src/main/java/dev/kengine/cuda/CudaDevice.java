package dev.kengine.cuda;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What the driver reports about one device. */
record CudaDevice(int index, String name, int major, int minor, long memoryBytes, int multiprocessors,
                  int clockKHz, int l2Bytes, int memoryClockKHz, int busWidthBits, int driverVersion) {

    String computeCapability() {
        return major + "." + minor;
    }

    /** The driver's CUDA version, such as 13.0, from its integer form 13000. */
    String driverVersionText() {
        return (driverVersion / 1000) + "." + (driverVersion % 1000) / 10;
    }

    String label() {
        return "#" + index + " " + name + " (compute capability " + computeCapability() + ")";
    }

    /** Peak memory bandwidth from the clocks, in GB/s (double data rate). */
    double peakBandwidthGBs() {
        return 2.0 * memoryClockKHz * 1e3 * (busWidthBits / 8.0) / 1e9;
    }

    Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("device index", Integer.toString(index));
        d.put("compute capability", computeCapability());
        d.put("multiprocessors", Integer.toString(multiprocessors));
        d.put("clock", clockKHz / 1000 + " MHz");
        d.put("L2 cache", l2Bytes / 1024 + " KiB");
        if (memoryClockKHz > 0 && busWidthBits > 0) {
            d.put("memory bandwidth", String.format(Locale.ROOT, "%.0f GB/s peak (%d-bit bus)", peakBandwidthGBs(), busWidthBits));
        }
        d.put("driver", "CUDA " + driverVersionText() + " (" + driverVersion + ")");
        return d;
    }
}
