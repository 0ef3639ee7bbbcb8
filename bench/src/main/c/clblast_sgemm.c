/*
 * The CLBlast anchor of `./engine compare`: row-major SGEMM C = A·B through CLBlast on an OpenCL
 * device, with its own context, timed with a clFinish inside the timed region. Built at run time by
 * the report: gcc -O2 -o clblast_sgemm clblast_sgemm.c -lclblast -lOpenCL
 *
 * Protocol (one process serves the whole report, so CLBlast compiles its kernels once per shape):
 *   argv: none. First line written: "device <platform> / <device>" or "error <reason>".
 *   Each line read:  "<m> <n> <k> <warmup> <reps> <max_seconds> <a.bin> <b.bin> <c.bin>"
 *   Each line written: "ok <first_call_s> <t1> <t2> ..." (seconds per call) or "error <reason>".
 *   A and B are read as native floats; C of the last call is written to c.bin.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int read_floats(const char *path, float *dst, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(dst, sizeof(float), n, f);
    fclose(f);
    return got == n;
}

int main(void) {
    cl_platform_id platforms[8];
    cl_uint np = 0;
    if (clGetPlatformIDs(8, platforms, &np) != CL_SUCCESS || np == 0) {
        printf("error no OpenCL platform\n");
        return 0;
    }
    const char *want = getenv("KENGINE_OPENCL_PLATFORM");
    cl_platform_id platform = NULL;
    cl_device_id device = NULL;
    char pname[256] = "", dname[256] = "";
    for (cl_uint i = 0; i < np && device == NULL; i++) {
        clGetPlatformInfo(platforms[i], CL_PLATFORM_NAME, sizeof pname, pname, NULL);
        if (want && *want && strstr(pname, want) == NULL) continue;
        cl_uint nd = 0;
        if (clGetDeviceIDs(platforms[i], CL_DEVICE_TYPE_ALL, 1, &device, &nd) != CL_SUCCESS || nd == 0) {
            device = NULL;
            continue;
        }
        platform = platforms[i];
    }
    if (device == NULL) {
        printf("error no OpenCL device%s%s\n", want ? " on a platform matching " : "", want ? want : "");
        return 0;
    }
    clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof dname, dname, NULL);
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties) platform, 0};
    cl_context ctx = clCreateContext(props, 1, &device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        printf("error clCreateContext %d\n", err);
        return 0;
    }
    cl_command_queue queue = clCreateCommandQueue(ctx, device, 0, &err);
    if (err != CL_SUCCESS) {
        printf("error clCreateCommandQueue %d\n", err);
        return 0;
    }
    printf("device %s / %s\n", pname, dname);
    fflush(stdout);

    char line[4096], apath[1024], bpath[1024], cpath[1024];
    while (fgets(line, sizeof line, stdin)) {
        size_t m, n, k;
        int warmup, reps;
        double max_seconds;
        if (sscanf(line, "%zu %zu %zu %d %d %lf %1023s %1023s %1023s", &m, &n, &k, &warmup, &reps, &max_seconds,
                   apath, bpath, cpath) != 9) {
            printf("error bad request\n");
            fflush(stdout);
            continue;
        }
        float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float)), *c = malloc(m * n * sizeof(float));
        if (!a || !b || !c || !read_floats(apath, a, m * k) || !read_floats(bpath, b, k * n)) {
            printf("error cannot read inputs\n");
            fflush(stdout);
            free(a); free(b); free(c);
            continue;
        }
        cl_mem da = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, m * k * sizeof(float), a, &err);
        cl_mem db = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, k * n * sizeof(float), b, &err);
        cl_mem dc = clCreateBuffer(ctx, CL_MEM_READ_WRITE, m * n * sizeof(float), NULL, &err);
        double times[1000];
        int done = 0;
        double first = 0, start_all = 0;
        CLBlastStatusCode st = CLBlastSuccess;
        for (int i = 0; i < warmup + reps && done < 1000; i++) {
            double t0 = now();
            st = CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, m, n, k, 1.0f,
                              da, 0, k, db, 0, n, 0.0f, dc, 0, n, &queue, NULL);
            clFinish(queue);
            double t = now() - t0;
            if (st != CLBlastSuccess) break;
            if (i == 0) first = t;
            if (i == warmup) start_all = now();
            if (i >= warmup) {
                times[done++] = t;
                if (done >= 3 && now() - start_all > max_seconds) break;
            }
        }
        if (st != CLBlastSuccess) {
            printf("error CLBlastSgemm status %d\n", (int) st);
        } else {
            clEnqueueReadBuffer(queue, dc, CL_TRUE, 0, m * n * sizeof(float), c, 0, NULL, NULL);
            FILE *f = fopen(cpath, "wb");
            if (f) {
                fwrite(c, sizeof(float), m * n, f);
                fclose(f);
            }
            printf("ok %.9f", first);
            for (int i = 0; i < done; i++) printf(" %.9f", times[i]);
            printf("\n");
        }
        fflush(stdout);
        clReleaseMemObject(da);
        clReleaseMemObject(db);
        clReleaseMemObject(dc);
        free(a); free(b); free(c);
    }
    clReleaseCommandQueue(queue);
    clReleaseContext(ctx);
    return 0;
}
