package dev.kengine.examples.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart: several named series over a shared x axis, a linear or logarithmic y axis with
 * readable ticks, a legend to the right, a title and a subtitle. Non-finite values (a diverged
 * loss) and, on a log axis, values ≤ 0 break the line rather than distorting the axis; a series
 * that ends early simply stops. Series with few points get markers.
 */
public final class LineChart {
    /** One curve. {@code dashed} draws it dashed, to pair two curves of one colour (train and test). */
    public record Series(String name, double[] x, double[] y, Color color, boolean dashed) {}

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    private static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private String subtitle = "";
    private boolean logY;
    private Double yMinFixed;
    private Double yMaxFixed;

    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LineChart subtitle(String text) {
        this.subtitle = text;
        return this;
    }

    /** A base-10 logarithmic y axis (for gradient norms and losses spanning decades). */
    public LineChart logY() {
        this.logY = true;
        return this;
    }

    /** Fixes the y range instead of fitting it to the data (for accuracies: 0 to 1). */
    public LineChart yRange(double min, double max) {
        this.yMinFixed = min;
        this.yMaxFixed = max;
        return this;
    }

    /** Adds a solid series in the next palette colour. */
    public LineChart add(String name, double[] x, double[] y) {
        return add(name, x, y, Palette.color(series.size()), false);
    }

    public LineChart add(String name, double[] x, double[] y, Color color, boolean dashed) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone(), color, dashed));
        return this;
    }

    public Path write(Path file) {
        return Png.write(render(1000, 600), file);
    }

    public BufferedImage render(int width, int height) {
        BufferedImage image = Png.canvas(width, height);
        Graphics2D g = Png.graphics(image);
        try {
            draw(g, width, height);
        } finally {
            g.dispose();
        }
        return image;
    }

    private boolean usable(double v) {
        return Double.isFinite(v) && (!logY || v > 0);
    }

    private void draw(Graphics2D g, int width, int height) {
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);

        // Legend width decides the plot's right edge.
        g.setFont(LABEL);
        FontMetrics lm = g.getFontMetrics();
        int legendWidth = 0;
        for (Series s : series) {
            legendWidth = Math.max(legendWidth, lm.stringWidth(s.name()));
        }
        legendWidth = series.isEmpty() ? 0 : legendWidth + 60;
        legendWidth = Math.min(legendWidth, width / 3);

        int left = 90;
        int top = subtitle.isEmpty() ? 50 : 70;
        int right = width - 25 - legendWidth;
        int bottom = height - 60;

        g.setColor(Color.BLACK);
        g.setFont(TITLE);
        g.drawString(title, left, 30);
        if (!subtitle.isEmpty()) {
            g.setFont(SUBTITLE);
            g.setColor(Color.DARK_GRAY);
            g.drawString(fit(g, subtitle, width - left - 20), left, 52);
        }

        double[] xr = range(true);
        double[] yr = range(false);
        if (xr == null || yr == null) {
            g.setFont(LABEL);
            g.setColor(Color.DARK_GRAY);
            g.drawRect(left, top, right - left, bottom - top);
            g.drawString("no finite values to plot", left + 20, top + 30);
            return;
        }
        if (yMinFixed != null) {
            yr = new double[] {yMinFixed, yMaxFixed};
        }
        Axis xAxis = Axis.linear(xr[0], xr[1], integral());
        Axis yAxis = logY ? Axis.log(yr[0], yr[1]) : Axis.linear(yr[0], yr[1], false);

        // Grid and ticks.
        g.setFont(TICK);
        FontMetrics tm = g.getFontMetrics();
        Stroke thin = new BasicStroke(1f);
        for (double t : yAxis.ticks) {
            int py = (int) Math.round(map(yAxis.position(t), bottom, top));
            g.setColor(new Color(0xe6e6e6));
            g.setStroke(thin);
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            String label = yAxis.format(t);
            g.drawString(label, left - 8 - tm.stringWidth(label), py + tm.getAscent() / 2 - 1);
        }
        for (double t : xAxis.ticks) {
            int px = (int) Math.round(map(xAxis.position(t), left, right));
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.BLACK);
            String label = xAxis.format(t);
            g.drawString(label, px - tm.stringWidth(label) / 2, bottom + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);

        g.setFont(LABEL);
        FontMetrics am = g.getFontMetrics();
        g.drawString(xLabel, (left + right - am.stringWidth(xLabel)) / 2, height - 18);
        Graphics2D vertical = (Graphics2D) g.create();
        vertical.rotate(-Math.PI / 2);
        String yText = yLabel + (logY ? " (log scale)" : "");
        vertical.drawString(yText, -(top + bottom + am.stringWidth(yText)) / 2, 24);
        vertical.dispose();

        // Curves, clipped to the plot.
        Graphics2D plot = (Graphics2D) g.create();
        plot.clipRect(left, top, right - left + 1, bottom - top + 1);
        for (Series s : series) {
            plot.setColor(s.color());
            plot.setStroke(stroke(s.dashed()));
            Path2D.Double path = new Path2D.Double();
            boolean open = false;
            int points = 0;
            for (int i = 0; i < s.x().length; i++) {
                if (!usable(s.y()[i]) || !Double.isFinite(s.x()[i])) {
                    open = false;
                    continue;
                }
                double px = map(xAxis.position(s.x()[i]), left, right);
                double py = map(yAxis.position(s.y()[i]), bottom, top);
                if (open) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    open = true;
                }
                points++;
            }
            plot.draw(path);
            if (points <= 30) {
                for (int i = 0; i < s.x().length; i++) {
                    if (usable(s.y()[i]) && Double.isFinite(s.x()[i])) {
                        double px = map(xAxis.position(s.x()[i]), left, right);
                        double py = map(yAxis.position(s.y()[i]), bottom, top);
                        plot.fill(new Ellipse2D.Double(px - 3.5, py - 3.5, 7, 7));
                    }
                }
            }
        }
        plot.dispose();

        // Legend.
        int lx = right + 15;
        int ly = top + 8;
        g.setFont(LABEL);
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(stroke(s.dashed()));
            g.draw(new Line2D.Double(lx, ly + 6, lx + 32, ly + 6));
            g.setColor(Color.BLACK);
            g.drawString(fit(g, s.name(), legendWidth - 50), lx + 40, ly + 11);
            ly += 24;
        }
    }

    private static Stroke stroke(boolean dashed) {
        return dashed
                ? new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {8f, 5f}, 0f)
                : new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    private static String fit(Graphics2D g, String text, int maxWidth) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(text) <= maxWidth) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > maxWidth) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    private static double map(double fraction, double from, double to) {
        return from + fraction * (to - from);
    }

    private boolean integral() {
        for (Series s : series) {
            for (double x : s.x()) {
                if (x != Math.rint(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** [min, max] over the plottable points, or null if there are none. */
    private double[] range(boolean x) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!usable(s.y()[i]) || !Double.isFinite(s.x()[i])) {
                    continue;
                }
                double v = x ? s.x()[i] : s.y()[i];
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        return min <= max ? new double[] {min, max} : null;
    }

    /** An axis: where values fall (0 at the start, 1 at the end) and where its ticks go. */
    private static final class Axis {
        final double lo;
        final double hi;
        final boolean log;
        final double step;
        final List<Double> ticks = new ArrayList<>();

        private Axis(double lo, double hi, boolean log, double step) {
            this.lo = lo;
            this.hi = hi;
            this.log = log;
            this.step = step;
        }

        static Axis linear(double min, double max, boolean integral) {
            if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
                double pad = Math.max(Math.abs(max) * 0.1, 0.5);
                min -= pad;
                max += pad;
            }
            double step = niceStep((max - min) / 6);
            if (integral) {
                step = Math.max(1, Math.round(step));
            }
            double lo = Math.floor(min / step) * step;
            double hi = Math.ceil(max / step) * step;
            Axis a = new Axis(lo, hi, false, step);
            for (double t = lo; t <= hi + step * 1e-9; t += step) {
                a.ticks.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            }
            return a;
        }

        static Axis log(double min, double max) {
            double lmin = Math.log10(min);
            double lmax = Math.log10(max);
            double pad = Math.max(0.05 * (lmax - lmin), 0.05);
            double lo = lmin - pad;
            double hi = lmax + pad;
            Axis a = new Axis(lo, hi, true, 1);
            int decades = (int) Math.ceil(hi - lo);
            int every = Math.max(1, (int) Math.ceil(decades / 10.0));
            // Decades when there are several; 1-2-5 steps, or every integer multiple, in a narrow range.
            int[] multiples = decades > 3 ? new int[] {1} : decades > 1 ? new int[] {1, 2, 5} : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9};
            for (int d = (int) Math.floor(lo); d <= (int) Math.ceil(hi); d += every) {
                for (int m : multiples) {
                    double v = m * Math.pow(10, d);
                    double p = Math.log10(v);
                    if (p >= lo && p <= hi) {
                        a.ticks.add(v);
                    }
                }
            }
            if (a.ticks.size() < 2) {
                a.ticks.add(min);
                a.ticks.add(max);
            }
            return a;
        }

        double position(double v) {
            return log ? (Math.log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
        }

        String format(double v) {
            if (log) {
                double e = Math.log10(v);
                if (Math.abs(e - Math.rint(e)) < 1e-9 && (e < -3 || e > 4)) {
                    return "1e" + (int) Math.rint(e);
                }
                return plain(v);
            }
            return plain(v);
        }

        private String plain(double v) {
            if (v == 0) {
                return "0";
            }
            double a = Math.abs(v);
            if (a >= 1e5 || a < 1e-3) {
                return String.format(Locale.ROOT, "%.0e", v);
            }
            double s = log ? a : step;
            int decimals = s >= 1 ? 0 : (int) Math.ceil(-Math.log10(s) - 1e-9);
            if (log && Math.abs(v - Math.rint(v * Math.pow(10, decimals)) / Math.pow(10, decimals)) > 1e-9 * a) {
                decimals += 2;
            }
            return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", v);
        }

        private static double niceStep(double raw) {
            double exp = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / exp;
            double nice = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
            return nice * exp;
        }
    }
}
