/* probe_libs.c: what the libraries the speed issue names would give on the
 * GEMM-shaped layers, one thread, for choosing (bench/probe_libs.sh builds
 * and runs it; not part of the build):
 *   dnnl       oneDNN's C API as conv_forward would call it: NCHW in and out,
 *              primitive made per call (oneDNN caches it), the source,
 *              weights and result reordered to and from its blocked layout;
 *   dnnl_exec  only the convolution primitive's execute, on data already in
 *              its layout (the kernel's own speed, a floor for the above);
 *   gemm       im2col (rows copied, padding as zeros) + cblas_sgemm, the
 *              BLAS linked (OpenBLAS or BLIS, serial builds).
 * Prints min and median of 31 runs on the thread CPU clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>
static double cpu_ms(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
static int cmpd(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return (x>y)-(x<y);}
typedef struct {const char*name;int c,h,w,f,k,s,pad,d;} Sh;
static Sh shapes[]={{"vgg",64,56,56,64,3,1,1,1},{"alexnet",3,224,224,64,11,4,2,1},{"rgb512_s2",3,512,512,16,3,2,1,1},{"dilated",16,128,128,16,3,1,2,2},{"pointwise",64,56,56,256,1,1,0,1},{"rgb512",3,512,512,16,3,1,1,1}};
#define CK(x) do{dnnl_status_t s_=(x); if(s_){printf("dnnl error %d at %s\n",s_,#x);exit(1);}}while(0)
static dnnl_engine_t eng; static dnnl_stream_t strm;
#define REORDER(from,fmd,to,tmd) do{dnnl_primitive_desc_t rpd; dnnl_primitive_t r; CK(dnnl_reorder_primitive_desc_create(&rpd,fmd,eng,tmd,eng,NULL)); CK(dnnl_primitive_create(&r,rpd)); dnnl_exec_arg_t a[2]={{DNNL_ARG_FROM,from},{DNNL_ARG_TO,to}}; CK(dnnl_primitive_execute(r,strm,2,a)); dnnl_primitive_destroy(r); dnnl_primitive_desc_destroy(rpd);}while(0)
static void run_dnnl(const Sh*s,const float*x,const float*w,const float*b,float*y,int oh,int ow){
  dnnl_memory_desc_t src_u,w_u,b_md,dst_u,src_a,w_a,dst_a; dnnl_convolution_desc_t cd; dnnl_primitive_desc_t pd;
  dnnl_dims_t sd={1,s->c,s->h,s->w}, wd={s->f,s->c,s->k,s->k}, bd={s->f}, dd={1,s->f,oh,ow};
  dnnl_dims_t st={s->s,s->s}, dl={s->d-1,s->d-1}, pl={s->pad,s->pad};
  CK(dnnl_memory_desc_init_by_tag(&src_u,4,sd,dnnl_f32,dnnl_nchw)); CK(dnnl_memory_desc_init_by_tag(&w_u,4,wd,dnnl_f32,dnnl_oihw));
  CK(dnnl_memory_desc_init_by_tag(&b_md,1,bd,dnnl_f32,dnnl_x)); CK(dnnl_memory_desc_init_by_tag(&dst_u,4,dd,dnnl_f32,dnnl_nchw));
  CK(dnnl_memory_desc_init_by_tag(&src_a,4,sd,dnnl_f32,dnnl_format_tag_any)); CK(dnnl_memory_desc_init_by_tag(&w_a,4,wd,dnnl_f32,dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&dst_a,4,dd,dnnl_f32,dnnl_format_tag_any));
  CK(dnnl_dilated_convolution_forward_desc_init(&cd,dnnl_forward_inference,dnnl_convolution_direct,&src_a,&w_a,&b_md,&dst_a,st,dl,pl,pl));
  CK(dnnl_primitive_desc_create(&pd,&cd,NULL,eng,NULL));
  const dnnl_memory_desc_t *src_p=dnnl_primitive_desc_query_md(pd,dnnl_query_src_md,0),*w_p=dnnl_primitive_desc_query_md(pd,dnnl_query_weights_md,0),*dst_p=dnnl_primitive_desc_query_md(pd,dnnl_query_dst_md,0);
  dnnl_memory_t mx,mw,mb,my,px,pw,py; dnnl_primitive_t conv;
  CK(dnnl_memory_create(&mx,&src_u,eng,(void*)x)); CK(dnnl_memory_create(&mw,&w_u,eng,(void*)w)); CK(dnnl_memory_create(&mb,&b_md,eng,(void*)b)); CK(dnnl_memory_create(&my,&dst_u,eng,y));
  int rx=!dnnl_memory_desc_equal(src_p,&src_u), rw=!dnnl_memory_desc_equal(w_p,&w_u), ry=!dnnl_memory_desc_equal(dst_p,&dst_u);
  px=mx;pw=mw;py=my;
  if(rx) CK(dnnl_memory_create(&px,src_p,eng,DNNL_MEMORY_ALLOCATE)); if(rw) CK(dnnl_memory_create(&pw,w_p,eng,DNNL_MEMORY_ALLOCATE)); if(ry) CK(dnnl_memory_create(&py,dst_p,eng,DNNL_MEMORY_ALLOCATE));
  #define REORDER_UNUSED(from,fmd,to,tmd) do{dnnl_primitive_desc_t rpd; dnnl_primitive_t r; CK(dnnl_reorder_primitive_desc_create(&rpd,fmd,eng,tmd,eng,NULL)); CK(dnnl_primitive_create(&r,rpd)); dnnl_exec_arg_t a[2]={{DNNL_ARG_FROM,from},{DNNL_ARG_TO,to}}; CK(dnnl_primitive_execute(r,strm,2,a)); dnnl_primitive_destroy(r); dnnl_primitive_desc_destroy(rpd);}while(0)
  if(rx) REORDER(mx,&src_u,px,src_p); if(rw) REORDER(mw,&w_u,pw,w_p);
  CK(dnnl_primitive_create(&conv,pd));
  dnnl_exec_arg_t args[4]={{DNNL_ARG_SRC,px},{DNNL_ARG_WEIGHTS,pw},{DNNL_ARG_BIAS,mb},{DNNL_ARG_DST,py}};
  CK(dnnl_primitive_execute(conv,strm,4,args));
  if(ry) REORDER(py,dst_p,my,&dst_u);
  CK(dnnl_stream_wait(strm));
  dnnl_primitive_destroy(conv); dnnl_primitive_desc_destroy(pd);
  if(rx) dnnl_memory_destroy(px); if(rw) dnnl_memory_destroy(pw); if(ry) dnnl_memory_destroy(py);
  dnnl_memory_destroy(mx);dnnl_memory_destroy(mw);dnnl_memory_destroy(mb);dnnl_memory_destroy(my);
}
/* Execute-only: primitive and reordered buffers made once. */
typedef struct { dnnl_primitive_t conv; dnnl_exec_arg_t args[4]; } Prepared;
static Prepared prep_dnnl(const Sh*s,const float*x,const float*w,const float*b,float*y,int oh,int ow){
  Prepared P; dnnl_memory_desc_t src_u,w_u,b_md,dst_u,src_a,w_a,dst_a; dnnl_convolution_desc_t cd; dnnl_primitive_desc_t pd;
  dnnl_dims_t sd={1,s->c,s->h,s->w}, wd={s->f,s->c,s->k,s->k}, bd={s->f}, dd={1,s->f,oh,ow};
  dnnl_dims_t st={s->s,s->s}, dl={s->d-1,s->d-1}, pl={s->pad,s->pad};
  CK(dnnl_memory_desc_init_by_tag(&src_u,4,sd,dnnl_f32,dnnl_nchw)); CK(dnnl_memory_desc_init_by_tag(&w_u,4,wd,dnnl_f32,dnnl_oihw));
  CK(dnnl_memory_desc_init_by_tag(&b_md,1,bd,dnnl_f32,dnnl_x)); CK(dnnl_memory_desc_init_by_tag(&dst_u,4,dd,dnnl_f32,dnnl_nchw));
  CK(dnnl_memory_desc_init_by_tag(&src_a,4,sd,dnnl_f32,dnnl_format_tag_any)); CK(dnnl_memory_desc_init_by_tag(&w_a,4,wd,dnnl_f32,dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&dst_a,4,dd,dnnl_f32,dnnl_format_tag_any));
  CK(dnnl_dilated_convolution_forward_desc_init(&cd,dnnl_forward_inference,dnnl_convolution_direct,&src_a,&w_a,&b_md,&dst_a,st,dl,pl,pl));
  CK(dnnl_primitive_desc_create(&pd,&cd,NULL,eng,NULL));
  dnnl_memory_t mx,mw,mb,px,pw,py;
  CK(dnnl_memory_create(&mx,&src_u,eng,(void*)x)); CK(dnnl_memory_create(&mw,&w_u,eng,(void*)w)); CK(dnnl_memory_create(&mb,&b_md,eng,(void*)b));
  CK(dnnl_memory_create(&px,dnnl_primitive_desc_query_md(pd,dnnl_query_src_md,0),eng,DNNL_MEMORY_ALLOCATE));
  CK(dnnl_memory_create(&pw,dnnl_primitive_desc_query_md(pd,dnnl_query_weights_md,0),eng,DNNL_MEMORY_ALLOCATE));
  CK(dnnl_memory_create(&py,dnnl_primitive_desc_query_md(pd,dnnl_query_dst_md,0),eng,DNNL_MEMORY_ALLOCATE));
  REORDER(mx,&src_u,px,dnnl_primitive_desc_query_md(pd,dnnl_query_src_md,0)); REORDER(mw,&w_u,pw,dnnl_primitive_desc_query_md(pd,dnnl_query_weights_md,0));
  CK(dnnl_primitive_create(&P.conv,pd));
  P.args[0]=(dnnl_exec_arg_t){DNNL_ARG_SRC,px}; P.args[1]=(dnnl_exec_arg_t){DNNL_ARG_WEIGHTS,pw}; P.args[2]=(dnnl_exec_arg_t){DNNL_ARG_BIAS,mb}; P.args[3]=(dnnl_exec_arg_t){DNNL_ARG_DST,py};
  (void)y; return P;
}
static void run_gemm(const Sh*s,const float*x,const float*w,const float*b,float*y,int oh,int ow){
  int K=s->c*s->k*s->k, N=oh*ow; float*col; 
  if(s->k==1&&s->s==1&&s->pad==0) col=(float*)x; else {
  col=malloc((size_t)K*N*4);
  for(int c=0;c<s->c;c++)for(int ky=0;ky<s->k;ky++)for(int kx=0;kx<s->k;kx++){float*r=col+(size_t)((c*s->k+ky)*s->k+kx)*N;
    for(int oy=0;oy<oh;oy++){int iy=oy*s->s-s->pad+ky*s->d; float*o=r+oy*ow; if(iy<0||iy>=s->h){memset(o,0,ow*4);continue;} const float*row=x+((size_t)c*s->h+iy)*s->w;
      for(int ox=0;ox<ow;ox++){int ix=ox*s->s-s->pad+kx*s->d; o[ox]=(ix<0||ix>=s->w)?0:row[ix];}}}}
  for(int f=0;f<s->f;f++)for(int i=0;i<N;i++)y[(size_t)f*N+i]=b[f];
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,s->f,N,K,1.0f,w,K,col,N,1.0f,y,N);
  if(col!=x)free(col);
}
int main(int argc,char**argv){
  int mode=strcmp(argv[1],"dnnl")==0?0:strcmp(argv[1],"gemm")==0?1:2; /* dnnl, gemm, dnnl_exec */
  if(mode!=1){CK(dnnl_engine_create(&eng,dnnl_cpu,0)); CK(dnnl_stream_create(&strm,eng,dnnl_stream_default_flags));}
  for(size_t i=0;i<sizeof shapes/sizeof shapes[0];i++){Sh*s=&shapes[i];
    if(argc>2&&strcmp(argv[2],s->name))continue;
    int oh=(s->h+2*s->pad-s->d*(s->k-1)-1)/s->s+1, ow=(s->w+2*s->pad-s->d*(s->k-1)-1)/s->s+1;
    size_t nx=(size_t)s->c*s->h*s->w,nw=(size_t)s->f*s->c*s->k*s->k,ny=(size_t)s->f*oh*ow;
    float*x=malloc(nx*4),*w=malloc(nw*4),*b=malloc(s->f*4),*y=malloc(ny*4);
    for(size_t j=0;j<nx;j++)x[j]=(float)rand()/RAND_MAX*2-1; for(size_t j=0;j<nw;j++)w[j]=(float)rand()/RAND_MAX*0.4f-0.2f; for(int j=0;j<s->f;j++)b[j]=0.5f;
    double t[31]; int R=31; double macs=(double)ny*s->c*s->k*s->k;
    Prepared P; if(mode==2)P=prep_dnnl(s,x,w,b,y,oh,ow);
    for(int r=-1;r<R;r++){double a=cpu_ms(); if(mode==0)run_dnnl(s,x,w,b,y,oh,ow); else if(mode==1)run_gemm(s,x,w,b,y,oh,ow); else {CK(dnnl_primitive_execute(P.conv,strm,4,P.args)); CK(dnnl_stream_wait(strm));} if(r>=0)t[r]=cpu_ms()-a;}
    qsort(t,R,sizeof t[0],cmpd);
    printf("%-10s %-9s min %.3f med %.3f ms  %.1f GMAC/s\n",s->name,argv[1],t[0],t[R/2],macs/t[0]/1e6);
    free(x);free(w);free(b);free(y);}
  return 0;
}
