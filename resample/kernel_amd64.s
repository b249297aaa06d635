//go:build amd64 && !purego

#include "textflag.h"

// func firAsm(dst, x, c []float32)
// dst[i] += sum_k c[k]*x[i+k]; len(x) >= len(dst)+len(c)-1; len(c) >= 1.
TEXT ·firAsm(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ c_base+48(FP), DX
	MOVQ c_len+56(FP), BX
	TESTQ BX, BX
	JZ done

loop64:
	CMPQ CX, $64
	JL loop32
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y5
	VMOVUPS 160(DI), Y6
	VMOVUPS 192(DI), Y7
	VMOVUPS 224(DI), Y8
	MOVQ SI, R8
	MOVQ DX, R9
	MOVQ BX, R10
tap64:
	VBROADCASTSS (R9), Y4
	VFMADD231PS 0(R8), Y4, Y0
	VFMADD231PS 32(R8), Y4, Y1
	VFMADD231PS 64(R8), Y4, Y2
	VFMADD231PS 96(R8), Y4, Y3
	VFMADD231PS 128(R8), Y4, Y5
	VFMADD231PS 160(R8), Y4, Y6
	VFMADD231PS 192(R8), Y4, Y7
	VFMADD231PS 224(R8), Y4, Y8
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ R10
	JNZ tap64
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y5, 128(DI)
	VMOVUPS Y6, 160(DI)
	VMOVUPS Y7, 192(DI)
	VMOVUPS Y8, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP loop64

loop32:
	CMPQ CX, $32
	JL loop8
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	MOVQ SI, R8
	MOVQ DX, R9
	MOVQ BX, R10
tap32:
	VBROADCASTSS (R9), Y4
	VFMADD231PS 0(R8), Y4, Y0
	VFMADD231PS 32(R8), Y4, Y1
	VFMADD231PS 64(R8), Y4, Y2
	VFMADD231PS 96(R8), Y4, Y3
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ R10
	JNZ tap32
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX
	JMP loop32

loop8:
	CMPQ CX, $8
	JL loop1
	VMOVUPS 0(DI), Y0
	MOVQ SI, R8
	MOVQ DX, R9
	MOVQ BX, R10
tap8:
	VBROADCASTSS (R9), Y4
	VFMADD231PS 0(R8), Y4, Y0
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ R10
	JNZ tap8
	VMOVUPS Y0, 0(DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop8

loop1:
	TESTQ CX, CX
	JZ done
	VMOVSS 0(DI), X0
	MOVQ SI, R8
	MOVQ DX, R9
	MOVQ BX, R10
tap1:
	VMOVSS (R9), X4
	VFMADD231SS 0(R8), X4, X0
	ADDQ $4, R8
	ADDQ $4, R9
	DECQ R10
	JNZ tap1
	VMOVSS X0, 0(DI)
	ADDQ $4, DI
	ADDQ $4, SI
	DECQ CX
	JMP loop1

done:
	VZEROUPPER
	RET

// func f32ToInt16Asm(dst []int16, src []float32)
// dst[i] = saturate16(roundEven(src[i])) for i < len(src) rounded down to 16;
// len(dst) >= len(src).
TEXT ·f32ToInt16Asm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $4, CX
	JZ cvtdone
cvtloop:
	VCVTPS2DQ 0(SI), Y0
	VCVTPS2DQ 32(SI), Y1
	VPACKSSDW Y1, Y0, Y0
	VPERMQ $0xD8, Y0, Y0
	VMOVDQU Y0, 0(DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JNZ cvtloop
cvtdone:
	VZEROUPPER
	RET

// func int16ToF32Asm(dst []float32, src []int16)
// dst[i] = float32(src[i]) for i < len(src) rounded down to 8.
TEXT ·int16ToF32Asm(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $3, CX
	JZ i2fdone
i2floop:
	VPMOVSXWD 0(SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $16, SI
	ADDQ $32, DI
	DECQ CX
	JNZ i2floop
i2fdone:
	VZEROUPPER
	RET

// func dotAsm(c, x []float32) float32
// sum c[k]*x[k] for k < len(c); len(x) >= len(c).
TEXT ·dotAsm(SB), NOSPLIT, $0-52
	MOVQ c_base+0(FP), SI
	MOVQ c_len+8(FP), CX
	MOVQ x_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
dot32:
	CMPQ CX, $32
	JL dot8
	VMOVUPS 0(SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS 0(DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP dot32
dot8:
	CMPQ CX, $8
	JL dotsum
	VMOVUPS 0(SI), Y4
	VFMADD231PS 0(DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP dot8
dotsum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
dot1:
	TESTQ CX, CX
	JZ dotdone
	VMOVSS 0(SI), X4
	VFMADD231SS 0(DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP dot1
dotdone:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET

// func scaleAsm(dst, src []float32, k float32)
// dst[i] = src[i]*k for i < len(src) rounded down to 8.
TEXT ·scaleAsm(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	VBROADCASTSS k+48(FP), Y1
	SHRQ $3, CX
	JZ scaledone
scaleloop:
	VMULPS 0(SI), Y1, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ scaleloop
scaledone:
	VZEROUPPER
	RET
