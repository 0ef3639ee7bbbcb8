package dev.kengine.examples.chart;

import java.awt.Color;

/** Colours that stay distinguishable in a line chart and for colour-blind readers (Tableau 10). */
public final class Palette {
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private Palette() {}

    public static Color color(int i) {
        return COLORS[Math.floorMod(i, COLORS.length)];
    }
}
