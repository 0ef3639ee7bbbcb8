package dev.kengine.opencl;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The matmul kernel's parameters (see matmul.cl), chosen from a small table: vendor, then device
 * name, then the default. A row whose work-group or local memory does not fit the device is
 * skipped. The values are starting points measured or reasoned per family, not exhaustive tuning.
 */
final class MatmulTuning {

    /** MWG x NWG tile per work-group, KWG deep, MDIMC x NDIMC work-items, VW-wide loads. */
    record Params(int mwg, int nwg, int kwg, int mdimc, int ndimc, int vw) {
        int workGroupSize() {
            return mdimc * ndimc;
        }

        long localBytes() {
            return 4L * kwg * (mwg + nwg);
        }

        Map<String, String> defines() {
            Map<String, String> d = new LinkedHashMap<>();
            d.put("MWG", Integer.toString(mwg));
            d.put("NWG", Integer.toString(nwg));
            d.put("KWG", Integer.toString(kwg));
            d.put("MDIMC", Integer.toString(mdimc));
            d.put("NDIMC", Integer.toString(ndimc));
            d.put("VW", Integer.toString(vw));
            return d;
        }
    }

    /** A row applies to devices of its vendor and name whose kind (GPU or accelerator, or not) matches. */
    private record Row(String vendor, String device, boolean gpu, Params params, String why) {}

    static final Params DEFAULT = new Params(64, 64, 16, 16, 16, 4);
    /** Fits any device with 64 work-items and 4 KiB of local memory. */
    static final Params SMALL = new Params(32, 32, 16, 8, 8, 4);

    private static final List<Row> TABLE = List.of(
            // 8x8 outputs per work-item, 256 work-items: enough reuse to approach peak on Ampere/Hopper.
            new Row("nvidia", "", true, new Params(128, 128, 16, 16, 16, 4), "NVIDIA: 8x8 register blocks"),
            new Row("advanced micro devices", "", true, new Params(64, 64, 16, 16, 16, 4), "AMD: 4x4 blocks, 256 work-items"),
            new Row("amd", "", true, new Params(64, 64, 16, 16, 16, 4), "AMD: 4x4 blocks, 256 work-items"),
            // Intel GPUs run SIMD8-16 threads; 64 work-items of 8x8 keep the register file busy.
            new Row("intel", "graphics", true, new Params(64, 64, 16, 8, 8, 4), "Intel GPU: 8x8 blocks, 64 work-items"),
            // PoCL's CPU device turns a work-group into loops vectorised across work-items, so few
            // work-items with large register blocks win: 4 x 8 work-items of 16 x 16 outputs measured
            // 18-37 GFLOP/s at n = 512..1024 on the 2-core AVX-512 machines, against 2-7 for 16 x 16
            // work-items of 4 x 4 (and 6-14 for untuned CLBlast).
            new Row("portable computing language", "", false, new Params(64, 128, 16, 4, 8, 4), "PoCL CPU: 16x16 blocks, 32 work-items"));

    private MatmulTuning() {}

    /** Every distinct parameter set of the table, and the default and fallback. */
    static java.util.Set<Params> allParams() {
        java.util.Set<Params> all = new java.util.LinkedHashSet<>();
        TABLE.forEach(r -> all.add(r.params()));
        all.add(DEFAULT);
        all.add(SMALL);
        return all;
    }

    static Params choose(DeviceInfo d) {
        for (Row r : TABLE) {
            if (d.matches(r.vendor(), r.device(), r.gpu()) && fits(r.params(), d)) {
                return r.params();
            }
        }
        return fits(DEFAULT, d) ? DEFAULT : SMALL;
    }

    static boolean fits(Params p, DeviceInfo d) {
        return p.workGroupSize() <= d.maxWorkGroupSize() && p.localBytes() <= d.localMemory();
    }
}
