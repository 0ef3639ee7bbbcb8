/* The OpenCL copy ceiling of ./engine compare: a plain copy kernel, one float4 per work-item, the
 * global size covering the buffer, in groups of 256, on the first device of the first platform whose
 * name contains $KENGINE_OPENCL_PLATFORM (any platform when unset), as the CLBlast harness selects.
 * It is independent of the engine's kernels and launch code on purpose: the engine's rows are judged
 * against what the device does with the simplest kernel there is.
 *
 * usage: opencl_copy FLOATS REPETITIONS
 * prints "device PLATFORM / DEVICE", then "ok GBS SECONDS..." (GB/s of the median repetition, counting
 * 8 bytes per float, then every repetition's seconds), or "error REASON". */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *SOURCE =
    "__kernel void k_copy4(__global const float4* src, __global float4* dst, uint n4) {\n"
    "    uint i = get_global_id(0);\n"
    "    if (i < n4) {\n"
    "        dst[i] = src[i];\n"
    "    }\n"
    "}\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        printf("error usage: opencl_copy FLOATS REPETITIONS\n");
        return 0;
    }
    long floats = atol(argv[1]) / 4 * 4;
    int reps = atoi(argv[2]);
    if (floats <= 0 || floats / 4 > 0xFFFFFFFFL || reps <= 0 || reps > 1000) {
        printf("error bad arguments\n");
        return 0;
    }
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
    cl_program program = clCreateProgramWithSource(ctx, 1, &SOURCE, NULL, &err);
    if (err == CL_SUCCESS) {
        err = clBuildProgram(program, 1, &device, "", NULL, NULL);
    }
    cl_kernel kernel = err == CL_SUCCESS ? clCreateKernel(program, "k_copy4", &err) : NULL;
    if (err != CL_SUCCESS) {
        printf("error building the copy kernel: %d\n", err);
        return 0;
    }
    size_t bytes = (size_t) floats * 4;
    cl_mem src = clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    cl_mem dst = err == CL_SUCCESS ? clCreateBuffer(ctx, CL_MEM_READ_WRITE, bytes, NULL, &err) : NULL;
    if (err != CL_SUCCESS) {
        printf("error allocating 2 x %zu bytes: %d\n", bytes, err);
        return 0;
    }
    float zero = 0.0f;
    clEnqueueFillBuffer(queue, src, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    clEnqueueFillBuffer(queue, dst, &zero, sizeof zero, 0, bytes, 0, NULL, NULL);
    cl_uint n4 = (cl_uint) (floats / 4);
    clSetKernelArg(kernel, 0, sizeof src, &src);
    clSetKernelArg(kernel, 1, sizeof dst, &dst);
    clSetKernelArg(kernel, 2, sizeof n4, &n4);
    size_t local = 256;
    size_t global = (n4 + local - 1) / local * local;
    double *t = malloc(sizeof(double) * reps);
    for (int r = -2; r < reps; r++) { /* two warm-up runs: compilation of the work-group function, first touch */
        clFinish(queue);
        double t0 = now();
        err = clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &global, &local, 0, NULL, NULL);
        clFinish(queue);
        if (err != CL_SUCCESS) {
            printf("error clEnqueueNDRangeKernel %d\n", err);
            return 0;
        }
        if (r >= 0) {
            t[r] = now() - t0;
        }
    }
    printf("device %s / %s\n", pname, dname);
    double *sorted = malloc(sizeof(double) * reps);
    memcpy(sorted, t, sizeof(double) * reps);
    qsort(sorted, reps, sizeof(double), compare);
    printf("ok %.3f", 8.0 * floats / sorted[reps / 2] / 1e9);
    for (int r = 0; r < reps; r++) {
        printf(" %.9f", t[r]);
    }
    printf("\n");
    return 0;
}
