package dev.kengine.examples.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A two-dimensional classifier's decision surface: every cell of a grid over the plane is coloured
 * by the class the network predicts there, pale where it is unsure and saturated where it is
 * confident, with the data points drawn on top in their true class's colour.
 */
public final class DecisionSurface {
    private static final Color[] CLASS_COLORS = {new Color(0xf59322), new Color(0x0877bd), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b)};

    private final String title;
    private final String subtitle;
    private final double xMin;
    private final double xMax;
    private final double yMin;
    private final double yMax;
    private final int grid;

    /** A surface over [xMin, xMax] × [yMin, yMax] sampled on a {@code grid × grid} lattice. */
    public DecisionSurface(String title, String subtitle, double xMin, double xMax, double yMin, double yMax, int grid) {
        this.title = title;
        this.subtitle = subtitle;
        this.xMin = xMin;
        this.xMax = xMax;
        this.yMin = yMin;
        this.yMax = yMax;
        this.grid = grid;
    }

    /** A surface framing the points {@code xy} (pairs) with a margin. */
    public static DecisionSurface around(String title, String subtitle, float[] xy, int grid) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < xy.length; i += 2) {
            x0 = Math.min(x0, xy[i]);
            x1 = Math.max(x1, xy[i]);
            y0 = Math.min(y0, xy[i + 1]);
            y1 = Math.max(y1, xy[i + 1]);
        }
        double pad = 0.08 * Math.max(x1 - x0, y1 - y0) + 1e-3;
        return new DecisionSurface(title, subtitle, x0 - pad, x1 + pad, y0 - pad, y1 + pad, grid);
    }

    /** The centres of the grid cells as (x, y) pairs, row by row from the top: the points to evaluate the network on. */
    public float[] gridPoints() {
        float[] p = new float[grid * grid * 2];
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                int i = 2 * (r * grid + c);
                p[i] = (float) (xMin + (c + 0.5) * (xMax - xMin) / grid);
                p[i + 1] = (float) (yMax - (r + 0.5) * (yMax - yMin) / grid);
            }
        }
        return p;
    }

    /**
     * Draws the surface from {@code scores} ({@code grid²} rows of {@code classes} class scores for
     * {@link #gridPoints()}; probabilities, or any scores whose largest is the prediction) and the
     * points {@code xy} with their {@code labels}, and writes the PNG.
     */
    public Path write(Path file, float[] scores, int classes, float[] xy, int[] labels) {
        return Png.write(render(720, scores, classes, xy, labels), file);
    }

    public BufferedImage render(int size, float[] scores, int classes, float[] xy, int[] labels) {
        int top = subtitle.isEmpty() ? 50 : 70;
        int left = 70;
        int plot = size - left - 30;
        int height = top + plot + 60;
        BufferedImage image = Png.canvas(size, height);
        Graphics2D g = Png.graphics(image);
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            g.drawString(title, left, 30);
            if (!subtitle.isEmpty()) {
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                g.setColor(Color.DARK_GRAY);
                g.drawString(subtitle, left, 52);
            }
            double cell = (double) plot / grid;
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c < grid; c++) {
                    g.setColor(cellColor(scores, (r * grid + c) * classes, classes));
                    int x0 = left + (int) Math.floor(c * cell);
                    int y0 = top + (int) Math.floor(r * cell);
                    g.fillRect(x0, y0, left + (int) Math.floor((c + 1) * cell) - x0, top + (int) Math.floor((r + 1) * cell) - y0);
                }
            }
            g.setStroke(new BasicStroke(1f));
            for (int i = 0; i < labels.length; i++) {
                double px = left + (xy[2 * i] - xMin) / (xMax - xMin) * plot;
                double py = top + (yMax - xy[2 * i + 1]) / (yMax - yMin) * plot;
                Ellipse2D dot = new Ellipse2D.Double(px - 4, py - 4, 8, 8);
                g.setColor(classColor(labels[i]));
                g.fill(dot);
                g.setColor(Color.WHITE);
                g.draw(dot);
            }
            g.setColor(Color.BLACK);
            g.drawRect(left, top, plot, plot);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            for (int k = 0; k <= 4; k++) {
                double f = k / 4.0;
                String xs = String.format(Locale.ROOT, "%.2f", xMin + f * (xMax - xMin));
                String ys = String.format(Locale.ROOT, "%.2f", yMax - f * (yMax - yMin));
                int px = left + (int) Math.round(f * plot);
                int py = top + (int) Math.round(f * plot);
                g.drawLine(px, top + plot, px, top + plot + 5);
                g.drawString(xs, px - fm.stringWidth(xs) / 2, top + plot + 20);
                g.drawLine(left - 5, py, left, py);
                g.drawString(ys, left - 8 - fm.stringWidth(ys), py + 4);
            }
            // Legend: one swatch per class.
            int lx = left;
            int ly = top + plot + 42;
            for (int c = 0; c < classes; c++) {
                g.setColor(classColor(c));
                g.fillOval(lx, ly - 9, 10, 10);
                g.setColor(Color.BLACK);
                String name = "class " + c;
                g.drawString(name, lx + 15, ly);
                lx += fm.stringWidth(name) + 40;
            }
            g.drawString("shade: the network's confidence", lx + 10, ly);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static Color classColor(int c) {
        return c < CLASS_COLORS.length ? CLASS_COLORS[c] : Palette.color(c);
    }

    /** The predicted class's colour, faded towards white as the prediction becomes uncertain. */
    private static Color cellColor(float[] scores, int at, int classes) {
        int best = 0;
        double sum = 0;
        for (int k = 0; k < classes; k++) {
            if (scores[at + k] > scores[at + best]) {
                best = k;
            }
            sum += Math.max(0, scores[at + k]);
        }
        double p = sum > 0 ? Math.max(0, scores[at + best]) / sum : 1.0 / classes;
        double confidence = Math.clamp((p - 1.0 / classes) / (1 - 1.0 / classes), 0, 1);
        double strength = 0.15 + 0.55 * confidence;
        Color base = classColor(best);
        return new Color(blend(base.getRed(), strength), blend(base.getGreen(), strength), blend(base.getBlue(), strength));
    }

    private static int blend(int channel, double strength) {
        return (int) Math.round(255 + (channel - 255) * strength);
    }
}
