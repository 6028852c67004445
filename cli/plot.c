/* plot: columns of averaged points, drawn top row first. */
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_MAX_W 200
#define PLOT_MAX_H 60

struct column {
	double sum;
	int n, nan;
};

/* The points into columns by x; returns the y range of the averages. */
static void bucket(const double *x, const double *y, size_t n, int width, struct column *col,
		   double *lo, double *hi)
{
	double x0 = x[0], x1 = x[n - 1];
	*lo = INFINITY, *hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		int c = x1 > x0 ? (int)((x[i] - x0) / (x1 - x0) * (width - 1) + 0.5) : 0;
		if (isnan(y[i])) {
			col[c].nan++;
			continue;
		}
		col[c].sum += y[i];
		col[c].n++;
	}
	for (int c = 0; c < width; c++) {
		if (!col[c].n)
			continue;
		double v = col[c].sum / col[c].n;
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
}

void plot_series(FILE *out, const double *x, const double *y, size_t n, int width, int height,
		 const char *title)
{
	if (!n) {
		fprintf(out, "%s: no data points\n", title);
		return;
	}
	width = width < 2 ? 2 : width > PLOT_MAX_W ? PLOT_MAX_W : width;
	height = height < 2 ? 2 : height > PLOT_MAX_H ? PLOT_MAX_H : height;
	struct column col[PLOT_MAX_W] = {0};
	double lo, hi;
	bucket(x, y, n, width, col, &lo, &hi);
	if (hi < lo) /* every point NaN */
		lo = hi = 0;
	double span = hi > lo ? hi - lo : 1;
	char grid[PLOT_MAX_H][PLOT_MAX_W + 1];
	for (int r = 0; r < height; r++) {
		memset(grid[r], ' ', (size_t)width);
		grid[r][width] = '\0';
	}
	for (int c = 0; c < width; c++) {
		if (col[c].n) {
			double v = col[c].sum / col[c].n;
			int r = (int)((hi - v) / span * (height - 1) + 0.5);
			grid[r][c] = '*';
		}
		if (col[c].nan)
			grid[height - 1][c] = 'N';
	}
	fprintf(out, "%s (%zu points)\n", title, n);
	for (int r = 0; r < height; r++) {
		double v = hi - span * r / (height - 1);
		if (r == 0 || r == height - 1 || r == height / 2)
			fprintf(out, "%12.6g |%s\n", v, grid[r]);
		else
			fprintf(out, "%12s |%s\n", "", grid[r]);
	}
	fprintf(out, "%12s +", "");
	for (int c = 0; c < width; c++)
		fputc('-', out);
	fprintf(out, "\n%12s  %-*.0f%.0f\n", "", width - 12 > 1 ? width - 12 : 1, x[0], x[n - 1]);
	fprintf(out, "%12s  iteration\n", "");
}
