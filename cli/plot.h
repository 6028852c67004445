/* plot: a terminal line chart of one series (y over x), for lensctl
 * training --plot: points averaged into as many columns as the width
 * allows, the y axis labelled with its range, the x axis with its ends.
 * NaN points (a diverged loss) are shown as 'N' on the bottom row rather
 * than left out. */
#ifndef LENS_PLOT_H
#define LENS_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* width and height of the plotting area, in characters. */
void plot_series(FILE *out, const double *x, const double *y, size_t n, int width, int height,
		 const char *title);

#endif
