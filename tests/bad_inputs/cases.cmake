# The bad-input corpus: one bad_input() per case (CMakeLists.txt defines it; tests/cli/expect.cmake runs it).
#   bad_input("<category>: <what>" <exit code> ARGS "<dlasim arguments>" STDERR "<regex>" ABSENT <path>)
# ${BAD_IN} is this directory; "<out>" is a fresh output path of the case that must not exist after the run.
# Commands run in the source directory. Exit code 2 = bad input (README.md "Exit codes").
# Binary inputs (npy/, npz/, onnx/, dataset/) are written by make_binary_inputs.py.
set(RUN "run configs/default.yaml")
set(CFG "${BAD_IN}/config")

# --- configs: wrong types, unknown keys, out-of-range values, names that resolve to nothing, YAML errors -----
bad_input("config: string for an integer key" 2 ARGS "run ${CFG}/wrong_type_pes.yaml --out <out>"
  STDERR "wrong_type_pes.yaml:5:8: arch.pes: expected an integer in \\[1, 4096\\], got \"four\"" ABSENT <out>)
bad_input("config: non-boolean for a bool key" 2 ARGS "run ${CFG}/wrong_type_bool.yaml --out <out>"
  STDERR "wrong_type_bool.yaml:3:21: arch.double_buffering: expected true or false, got \"maybe\"" ABSENT <out>)
bad_input("config: scalar for a section" 2 ARGS "run ${CFG}/wrong_type_section.yaml --out <out>"
  STDERR "wrong_type_section.yaml:2:7: arch: expected a map, got \"4\"" ABSENT <out>)
bad_input("config: list for an integer key" 2 ARGS "run ${CFG}/wrong_type_list.yaml --out <out>"
  STDERR "wrong_type_list.yaml:3:10: arch.lanes: expected an integer in \\[1, 1024\\], got a sequence" ABSENT <out>)
bad_input("config: word for a number key" 2 ARGS "export-energy ${CFG}/wrong_type_double.yaml --out <out>"
  STDERR "wrong_type_double.yaml:3:14: arch.clock_mhz: expected a number" ABSENT <out>)
bad_input("config: empty value" 2 ARGS "run ${CFG}/null_value.yaml --out <out>"
  STDERR "null_value.yaml:3:3: arch.pes: expected an integer in \\[1, 4096\\], got nothing" ABSENT <out>)
bad_input("config: unknown top-level key with a suggestion" 2 ARGS "run ${CFG}/unknown_top_key.yaml --out <out>"
  STDERR "unknown_top_key.yaml:4:1: archh: unknown key \\(did you mean arch\\?\\)" ABSENT <out>)
bad_input("config: unknown nested key with a suggestion" 2 ARGS "run ${CFG}/unknown_nested_key.yaml --out <out>"
  STDERR "unknown_nested_key.yaml:4:5: quant.weights.bitz: unknown key \\(did you mean quant.weights.bits\\?\\)" ABSENT <out>)
bad_input("config: duplicate key" 2 ARGS "run ${CFG}/duplicate_key.yaml --out <out>"
  STDERR "duplicate_key.yaml:4:3: arch.pes: duplicate key" ABSENT <out>)
bad_input("config: weight bits 0" 2 ARGS "run ${CFG}/bits_0.yaml --out <out>"
  STDERR "bits_0.yaml:3:19: quant.weights.bits: expected an integer in \\[2, 8\\], got \"0\"" ABSENT <out>)
bad_input("config: activation bits 1" 2 ARGS "run ${CFG}/bits_1.yaml --out <out>"
  STDERR "bits_1.yaml:4:11: quant.activations.bits: expected an integer in \\[2, 8\\], got \"1\"" ABSENT <out>)
bad_input("config: activation bits 9" 2 ARGS "run ${CFG}/bits_9.yaml --out <out>"
  STDERR "bits_9.yaml:4:11: quant.activations.bits: expected an integer in \\[2, 8\\], got \"9\"" ABSENT <out>)
bad_input("config: weight bits 64" 2 ARGS "export-energy ${CFG}/bits_64.yaml --out <out>"
  STDERR "bits_64.yaml:4:11: quant.weights.bits: expected an integer in \\[2, 8\\], got \"64\"" ABSENT <out>)
bad_input("config: --set bits 1 on the command line" 2 ARGS "${RUN} --set quant.activations.bits=1 --out <out>"
  STDERR "--set quant.activations.bits=1: quant.activations.bits: expected an integer in \\[2, 8\\]" ABSENT <out>)
bad_input("config: negative number of PEs" 2 ARGS "run ${CFG}/negative_pes.yaml --out <out>"
  STDERR "negative_pes.yaml:3:8: arch.pes: expected an integer in \\[1, 4096\\], got \"-4\"" ABSENT <out>)
bad_input("config: zero lanes" 2 ARGS "run ${CFG}/zero_lanes.yaml --out <out>"
  STDERR "zero_lanes.yaml:3:10: arch.lanes: expected an integer in \\[1, 1024\\], got \"0\"" ABSENT <out>)
bad_input("config: zero-size weight buffer" 2 ARGS "run ${CFG}/zero_buffer.yaml --out <out>"
  STDERR "zero_buffer.yaml:3:22: arch.weight_buffer_kib: expected a number in \\(0.0, 1048576.0., got \"0\"" ABSENT <out>)
bad_input("config: negative input buffer" 2 ARGS "run ${CFG}/negative_buffer.yaml --out <out>"
  STDERR "negative_buffer.yaml:3:21: arch.input_buffer_kib: expected a number in \\(0.0, 1048576.0., got \"-32\"" ABSENT <out>)
bad_input("config: integer beyond 64 bits" 2 ARGS "run ${CFG}/huge_int.yaml --out <out>"
  STDERR "huge_int.yaml:3:16: arch.vector_size: expected an integer in \\[1, 1024\\], got \"99999999999999999999999\"" ABSENT <out>)
bad_input("config: per-vector scaling with 0 scale bits" 2 ARGS "run ${CFG}/scale_bits_zero_per_vector.yaml --out <out>"
  STDERR "scale_bits_zero_per_vector.yaml:3:50: quant.weights.scale_bits: per_vector granularity needs scale_bits in \\[1, 16\\], got 0" ABSENT <out>)
bad_input("config: buffer row narrower than one element" 2
  ARGS "${RUN} --set arch.weight_buffer_entry_bits=4 --out <out>"
  STDERR "--set arch.weight_buffer_entry_bits=4: arch.weight_buffer_entry_bits: expected an integer in \\[8, 8192\\], got \"4\"" ABSENT <out>)
bad_input("config: activation block size other than arch.vector_size" 2
  ARGS "${RUN} --set quant.activations.format=nvfp4 --set quant.weights.format=int4-pc --set arch.vector_size=32 --out <out>"
  STDERR "quant.activations.format: format nvfp4 scales vectors of 16 elements; the MAC lanes take arch.vector_size = 32" ABSENT <out>)
bad_input("config: weight buffer too small to tile a layer" 2 ARGS "run ${CFG}/untileable.yaml --out <out>"
  STDERR "tiny_cnn.csv: layer 'conv1' cannot be tiled: one reduction step of a 16-lane tile needs 16 weight-buffer rows of 128 bits; a slot of the 0.01 KiB weight buffer holds 0 .* on the design \\(PE buffers arch.weight_buffer_kib" ABSENT <out>)
bad_input("config: input buffer too small to tile a layer" 2 ARGS "run ${CFG}/untileable_input.yaml --out <out>"
  STDERR "tiny_cnn.csv: layer 'conv1' cannot be tiled: the input window of one reduction step needs 8 input-buffer rows .* \\(PE buffers arch.weight_buffer_kib, arch.input_buffer_kib" ABSENT <out>)
bad_input("config: unknown weight format modifier" 2 ARGS "run ${CFG}/unknown_format.yaml --out <out>"
  STDERR "unknown_format.yaml:4:13: quant.weights.format: format 'int5-v7-zz': unknown modifier 'zz'" ABSENT <out>)
bad_input("config: unknown activation format" 2 ARGS "run ${CFG}/unknown_act_format.yaml --out <out>"
  STDERR "unknown_act_format.yaml:3:25: quant.activations.format: format 'bogus': unknown base 'bogus'" ABSENT <out>)
bad_input("config: unknown host format" 2 ARGS "run ${CFG}/unknown_host_format.yaml --out <out>"
  STDERR "unknown_host_format.yaml:3:16: quant.host_format: format 'float99': unknown base 'float99'" ABSENT <out>)
bad_input("config: unknown method" 2 ARGS "run ${CFG}/unknown_method.yaml --out <out>"
  STDERR "unknown_method.yaml:4:11: quant.method.name: expected one of none, mcq, equalization, multipoint, got \"gptq\"" ABSENT <out>)
bad_input("config: unknown calibrator" 2 ARGS "run ${CFG}/unknown_calibrator.yaml --out <out>"
  STDERR "unknown_calibrator.yaml:4:17: quant.activations.calibrator: calibrate: unknown calibration \"magic\"" ABSENT <out>)
bad_input("config: unknown granularity" 2 ARGS "run ${CFG}/bad_enum_granularity.yaml --out <out>"
  STDERR "bad_enum_granularity.yaml:3:26: quant.weights.granularity: expected one of per_channel, per_vector, got \"per_row\"" ABSENT <out>)
bad_input("config: run name escaping the output directory" 2 ARGS "run ${CFG}/bad_run_name.yaml --out <out>"
  STDERR "bad_run_name.yaml:3:9: run.name: expected a non-empty string of \\[A-Za-z0-9._-\\], got \"../escape\"" ABSENT <out>)
bad_input("config: include of a map" 2 ARGS "run ${CFG}/bad_include_type.yaml --out <out>"
  STDERR "bad_include_type.yaml:1:10: include: expected a file path or a list of file paths, got a map" ABSENT <out>)
bad_input("config: include of a directory" 2 ARGS "run ${CFG}/include_dir.yaml --out <out>"
  STDERR "include_dir.yaml:1:10: include: cannot read config file [^\n]*: is a directory" ABSENT <out>)
bad_input("config: YAML syntax error" 2 ARGS "run ${CFG}/yaml_syntax.yaml --out <out>"
  STDERR "yaml_syntax.yaml:4:8: YAML syntax error: end of sequence flow not found" ABSENT <out>)
bad_input("config: tab indentation" 2 ARGS "export-energy ${CFG}/yaml_tab_indent.yaml --out <out>"
  STDERR "yaml_tab_indent.yaml:2:5: YAML syntax error" ABSENT <out>)
bad_input("config: a list at the top level" 2 ARGS "run ${CFG}/not_a_map.yaml --out <out>"
  STDERR "not_a_map.yaml:1:1: expected a map of sections at the top level, got a sequence" ABSENT <out>)
bad_input("config: empty file (defaults name a layer table beside it)" 2 ARGS "run ${CFG}/empty.yaml --out <out>"
  STDERR "bad_inputs/traces/tiny_cnn.csv: cannot open: no such file \\(workload.layers: ../traces/tiny_cnn.csv, relative to the config directory [^\n]*bad_inputs/config\\)" ABSENT <out>)
bad_input("config: comment-only file" 2 ARGS "run ${CFG}/only_comment.yaml --out <out>"
  STDERR "tiny_cnn.csv: cannot open: no such file \\(workload.layers: " ABSENT <out>)
bad_input("config: missing tech file names the key" 2 ARGS "run ${CFG}/missing_tech.yaml --out <out>"
  STDERR "config/no_such_tech.yaml: cannot open: no such file \\(tech: no_such_tech.yaml" ABSENT <out>)
bad_input("config: eval with an unknown method override" 2
  ARGS "eval configs/default.yaml --model tests/data/onnx/conv_groups.onnx --set quant.method.name=adaround --out <out>"
  STDERR "--set quant.method.name=adaround: quant.method.name: expected one of none, mcq, equalization, multipoint" ABSENT <out>)

# --- layer tables ---------------------------------------------------------------------------------------------
set(L "${RUN} --set workload.layers=${BAD_IN}/layers")
bad_input("layers: missing column in the header" 2 ARGS "${L}/missing_column.csv --out <out>"
  STDERR "missing_column.csv:1: expected the header \"name,type,in_h,in_w,in_c,out_c,kernel_h,kernel_w,stride,pad,relu\"" ABSENT <out>)
bad_input("layers: row with too few cells" 2 ARGS "${L}/short_row.csv --out <out>"
  STDERR "short_row.csv:2: expected 11 columns, got 9" ABSENT <out>)
bad_input("layers: fractional kernel" 2 ARGS "${L}/bad_number_float.csv --out <out>"
  STDERR "bad_number_float.csv:2: column 'kernel_h': expected an integer in \\[1, 1024\\], got \"3.5\"" ABSENT <out>)
bad_input("layers: number beyond 64 bits" 2 ARGS "${L}/bad_number_overflow.csv --out <out>"
  STDERR "bad_number_overflow.csv:2: column 'out_c': expected an integer in \\[1, 1048576\\], got \"99999999999999999999\"" ABSENT <out>)
bad_input("layers: empty file" 2 ARGS "${L}/empty.csv --out <out>"
  STDERR "empty.csv: empty layer table \\(expected a header and layers\\)" ABSENT <out>)
bad_input("layers: comments only" 2 ARGS "${L}/comments_only.csv --out <out>"
  STDERR "comments_only.csv: empty layer table" ABSENT <out>)
bad_input("layers: header without layers" 2 ARGS "${L}/header_only.csv --out <out>"
  STDERR "header_only.csv: the layer table has a header but no layers" ABSENT <out>)
bad_input("layers: binary garbage" 2 ARGS "${L}/binary.csv --out <out>"
  STDERR "binary.csv:1: expected the header" ABSENT <out>)
bad_input("layers: negative height" 2 ARGS "${L}/negative_dim.csv --out <out>"
  STDERR "negative_dim.csv:2: column 'in_h': expected an integer in \\[1, 1048576\\], got \"-8\"" ABSENT <out>)
bad_input("layers: zero stride" 2 ARGS "${L}/zero_stride.csv --out <out>"
  STDERR "zero_stride.csv:2: column 'stride': expected an integer in \\[1, 1024\\], got \"0\"" ABSENT <out>)
bad_input("layers: kernel larger than the padded input" 2 ARGS "${L}/kernel_too_big.csv --out <out>"
  STDERR "kernel_too_big.csv:2: the 7x7 kernel does not fit the padded 4x4 input" ABSENT <out>)
bad_input("layers: groups not dividing the channels" 2 ARGS "${L}/groups_not_dividing.csv --out <out>"
  STDERR "groups_not_dividing.csv:2: column 'groups': 5 groups must divide in_c = 16 and out_c = 24" ABSENT <out>)
bad_input("layers: zero groups" 2 ARGS "${L}/groups_zero.csv --out <out>"
  STDERR "groups_zero.csv:2: column 'groups': expected an integer in \\[1, 1048576\\], got \"0\"" ABSENT <out>)
bad_input("layers: unknown layer type" 2 ARGS "${L}/unknown_type.csv --out <out>"
  STDERR "unknown_type.csv:2: column 'type': expected conv, dwconv, fc, gemm, attn_qk or attn_pv, got \"deconv\"" ABSENT <out>)
bad_input("layers: duplicate layer name" 2 ARGS "${L}/duplicate_name.csv --out <out>"
  STDERR "duplicate_name.csv:3: column 'name': layer \"c1\" appears twice" ABSENT <out>)
bad_input("layers: empty layer name" 2 ARGS "${L}/empty_name.csv --out <out>"
  STDERR "empty_name.csv:2: column 'name': expected a non-empty name" ABSENT <out>)
bad_input("layers: relu not 0 or 1" 2 ARGS "${L}/relu_2.csv --out <out>"
  STDERR "relu_2.csv:2: column 'relu': expected an integer in \\[0, 1\\], got \"2\"" ABSENT <out>)
bad_input("layers: fc layer with a 3x3 kernel" 2 ARGS "${L}/fc_with_kernel.csv --out <out>"
  STDERR "fc_with_kernel.csv:2: the 3x3 kernel does not fit the padded 1x1 input" ABSENT <out>)
bad_input("layers: dwconv with out_c != in_c" 2 ARGS "${L}/dwconv_out_c.csv --out <out>"
  STDERR "dwconv_out_c.csv:2: column 'out_c': a dwconv layer needs out_c = in_c = 16, got 32" ABSENT <out>)
bad_input("layers: unknown format override" 2 ARGS "${L}/bad_format_cell.csv --out <out>"
  STDERR "bad_format_cell.csv:2: column 'weights_format': format 'int4-zz': unknown modifier 'zz'" ABSENT <out>)
bad_input("layers: layer too large for memory" 2 ARGS "${L}/too_large.csv --out <out>"
  STDERR "too_large.csv:3: layer 'huge': its input has 4.398e\\+12 elements, more than 2\\^31" ABSENT <out>)

# --- SCALE-Sim topologies -------------------------------------------------------------------------------------
set(S "${RUN} --set workload.layers=${BAD_IN}/scalesim")
bad_input("scalesim: header without the Strides column" 2 ARGS "${S}/missing_column.csv --out <out>"
  STDERR "missing_column.csv:1: not a SCALE-Sim topology header" ABSENT <out>)
bad_input("scalesim: GEMM header without K" 2 ARGS "${S}/gemm_missing_k.csv --out <out>"
  STDERR "gemm_missing_k.csv:1: not a SCALE-Sim topology header" ABSENT <out>)
bad_input("scalesim: exponent for a filter count" 2 ARGS "${S}/bad_number.csv --out <out>"
  STDERR "bad_number.csv:2:7: column 'Num Filter': expected an integer in \\[1, 1048576\\], got \"3e2\"" ABSENT <out>)
bad_input("scalesim: negative IFMAP width" 2 ARGS "${S}/negative_dim.csv --out <out>"
  STDERR "negative_dim.csv:2:3: column 'IFMAP Width': expected an integer in \\[1, 1048576\\], got \"-18\"" ABSENT <out>)
bad_input("scalesim: filter larger than the IFMAP" 2 ARGS "${S}/kernel_too_big.csv --out <out>"
  STDERR "kernel_too_big.csv:2:4: column 'Filter Height': the filter height 5 exceeds the IFMAP height 4" ABSENT <out>)
bad_input("scalesim: header without layers" 2 ARGS "${S}/header_only.csv --out <out>"
  STDERR "header_only.csv: the SCALE-Sim topology has a header but no layers" ABSENT <out>)
bad_input("scalesim: row with too few cells" 2 ARGS "${S}/short_row.csv --out <out>"
  STDERR "short_row.csv:2: expected 8 columns, got 6" ABSENT <out>)
bad_input("scalesim: GEMM with M = 0" 2 ARGS "${S}/gemm_zero_m.csv --out <out>"
  STDERR "gemm_zero_m.csv:2:2: column 'M': expected an integer in \\[1, 1048576\\], got \"0\"" ABSENT <out>)
bad_input("scalesim: unparsable filter width (existing fixture)" 2
  ARGS "${RUN} --set workload.layers=${PROJECT_SOURCE_DIR}/tests/data/scalesim/bad_conv.csv --out <out>"
  STDERR "bad_conv.csv:3:3: column 'IFMAP Width': expected an integer" ABSENT <out>)
bad_input("scalesim: GEMM too large for memory" 2 ARGS "${S}/too_large.csv --out <out>"
  STDERR "too_large.csv:2: layer 'huge': its weight tensor has 4.295e\\+09 elements, more than 2\\^31" ABSENT <out>)

# --- .npy / .npz for dlasim quant --in ------------------------------------------------------------------------
set(Q "quant --format int4 --out <out>.npz --in")
set(NPY_DATA "${PROJECT_SOURCE_DIR}/tests/data/npy")
bad_input("npy: complex dtype" 2 ARGS "${Q} ${BAD_IN}/npy/dtype_complex.npy"
  STDERR "dtype_complex.npy: unsupported dtype '<c8'" ABSENT <out>.npz)
bad_input("npy: bool dtype" 2 ARGS "${Q} ${BAD_IN}/npy/dtype_bool.npy"
  STDERR "dtype_bool.npy: unsupported dtype '\\|b1'" ABSENT <out>.npz)
bad_input("npy: object dtype" 2 ARGS "${Q} ${BAD_IN}/npy/dtype_object.npy"
  STDERR "dtype_object.npy: unsupported dtype '\\|O'" ABSENT <out>.npz)
bad_input("npy: structured dtype" 2 ARGS "${Q} ${BAD_IN}/npy/dtype_structured.npy"
  STDERR "dtype_structured.npy: unsupported dtype .*structured dtypes are not supported" ABSENT <out>.npz)
bad_input("npy: big-endian dtype" 2 ARGS "${Q} ${NPY_DATA}/bad_bigendian.npy"
  STDERR "bad_bigendian.npy: unsupported big-endian dtype '>f4'" ABSENT <out>.npz)
bad_input("npy: shape not a tuple" 2 ARGS "${Q} ${BAD_IN}/npy/shape_not_tuple.npy"
  STDERR "shape_not_tuple.npy: shape must be a tuple of integers, got 6" ABSENT <out>.npz)
bad_input("npy: shape with a name" 2 ARGS "${Q} ${BAD_IN}/npy/shape_text.npy"
  STDERR "shape_text.npy: malformed header at character 51: unexpected name 'two'" ABSENT <out>.npz)
bad_input("npy: negative shape" 2 ARGS "${Q} ${NPY_DATA}/bad_shape_negative.npy"
  STDERR "bad_shape_negative.npy: shape entry -1 is negative" ABSENT <out>.npz)
bad_input("npy: shape overflowing 64 bits" 2 ARGS "${Q} ${BAD_IN}/npy/shape_overflow.npy"
  STDERR "shape_overflow.npy: element count overflow" ABSENT <out>.npz)
bad_input("npy: zero-size shape" 2 ARGS "${Q} ${BAD_IN}/npy/shape_zero.npy"
  STDERR "shape_zero.npy: shape \\(0, 3\\): tensor has an empty or negative dimension" ABSENT <out>.npz)
bad_input("npy: header not a dict" 2 ARGS "${Q} ${BAD_IN}/npy/header_not_dict.npy"
  STDERR "header_not_dict.npy: header is not a dictionary" ABSENT <out>.npz)
bad_input("npy: header without descr" 2 ARGS "${Q} ${BAD_IN}/npy/header_missing_descr.npy"
  STDERR "header_missing_descr.npy: header is missing key 'descr'" ABSENT <out>.npz)
bad_input("npy: header length beyond the file" 2 ARGS "${Q} ${BAD_IN}/npy/header_len_too_long.npy"
  STDERR "header_len_too_long.npy: truncated header: expected 60000 header bytes, found 142" ABSENT <out>.npz)
bad_input("npy: truncated header" 2 ARGS "${Q} ${NPY_DATA}/bad_truncated_header.npy"
  STDERR "bad_truncated_header.npy: truncated header" ABSENT <out>.npz)
bad_input("npy: truncated float32 data" 2 ARGS "${Q} ${BAD_IN}/npy/truncated_data_f32.npy"
  STDERR "truncated_data_f32.npy: truncated: expected 24 data bytes, found 19" ABSENT <out>.npz)
bad_input("npy: unknown format version" 2 ARGS "${Q} ${BAD_IN}/npy/bad_version.npy"
  STDERR "bad_version.npy: unsupported .npy format version 9.0" ABSENT <out>.npz)
bad_input("npy: bad magic" 2 ARGS "${Q} ${NPY_DATA}/bad_magic.npy"
  STDERR "bad_magic.npy: not a .npy file \\(magic string" ABSENT <out>.npz)
bad_input("npy: text file" 2 ARGS "${Q} ${BAD_IN}/npy/text_file.npy"
  STDERR "text_file.npy: not a .npy file" ABSENT <out>.npz)
bad_input("npy: empty file" 2 ARGS "${Q} ${BAD_IN}/npy/empty.npy"
  STDERR "empty.npy: truncated header: expected at least 10 bytes, found 0" ABSENT <out>.npz)
bad_input("npy: Fortran order" 2 ARGS "${Q} ${BAD_IN}/npy/fortran_3d.npy"
  STDERR "fortran_3d.npy: Fortran-order \\(column-major\\) arrays are not supported" ABSENT <out>.npz)
bad_input("npy: Fortran order as calibration data" 2
  ARGS "quant --format int4 --calib mse --in ${NPY_DATA}/f32_2x3.npy --calib-data ${NPY_DATA}/bad_fortran.npy --out <out>.npz"
  STDERR "bad_fortran.npy: Fortran-order" ABSENT <out>.npz)
bad_input("npy: synthetic shape too large for memory" 2
  ARGS "quant --synthetic normal:1 --shape 100000x100000x100000 --format int4 --out <out>.npz"
  STDERR "--shape \"100000x100000x100000\": more than 2\\^31 elements" ABSENT <out>.npz)
bad_input("npz: missing member" 2 ARGS "${Q} ${BAD_IN}/npz/missing_member.npz --key zz"
  STDERR "missing_member.npz: no member 'zz' \\(it holds b, w\\)" ABSENT <out>.npz)
bad_input("npz: archive without members" 2 ARGS "${Q} ${BAD_IN}/npz/empty_zip.npz --key w"
  STDERR "empty_zip.npz: no member 'w' \\(it holds no arrays\\)" ABSENT <out>.npz)
bad_input("npz: truncated zip" 2 ARGS "${Q} ${BAD_IN}/npz/truncated_zip.npz"
  STDERR "truncated_zip.npz: not a zip archive \\(end of central directory record not found; truncated\\?\\)" ABSENT <out>.npz)
bad_input("npz: truncated inside a deflated member" 2 ARGS "${Q} ${BAD_IN}/npz/truncated_member.npz"
  STDERR "truncated_member.npz: not a zip archive" ABSENT <out>.npz)
bad_input("npz: damaged deflate stream" 2 ARGS "${Q} ${BAD_IN}/npz/corrupt_deflate.npz --key w"
  STDERR "corrupt_deflate.npz\\[w\\]: deflate data" ABSENT <out>.npz)
bad_input("npz: CRC mismatch" 2 ARGS "${Q} ${NPY_DATA}/bad_crc.npz --key w"
  STDERR "bad_crc.npz\\[w\\]: CRC-32 mismatch" ABSENT <out>.npz)
bad_input("npz: not a zip" 2 ARGS "${Q} ${BAD_IN}/npz/not_a_zip.npz"
  STDERR "not_a_zip.npz: not a zip archive" ABSENT <out>.npz)
bad_input("npz: member that is not an array" 2 ARGS "${Q} ${BAD_IN}/npz/member_not_npy.npz --key w"
  STDERR "member_not_npy.npz\\[w\\]: not a .npy file" ABSENT <out>.npz)
bad_input("npz: member with a complex dtype" 2 ARGS "${Q} ${BAD_IN}/npz/member_bad_dtype.npz --key w"
  STDERR "member_bad_dtype.npz\\[w\\]: unsupported dtype '<c16'" ABSENT <out>.npz)

# --- ONNX models for dlasim eval --model ----------------------------------------------------------------------
set(E "eval configs/default.yaml --out <out> --model")
set(ONNX_DATA "${PROJECT_SOURCE_DIR}/tests/data/onnx")
bad_input("onnx: truncated after 7 bytes" 2 ARGS "${E} ${BAD_IN}/onnx/truncated_header.onnx"
  STDERR "truncated_header.onnx: cannot parse \\(truncated or not an ONNX ModelProto\\)" ABSENT <out>)
bad_input("onnx: truncated in the middle" 2 ARGS "${E} ${BAD_IN}/onnx/truncated_half.onnx"
  STDERR "truncated_half.onnx: cannot parse" ABSENT <out>)
bad_input("onnx: last byte missing" 2 ARGS "${E} ${BAD_IN}/onnx/truncated_last_byte.onnx"
  STDERR "truncated_last_byte.onnx: cannot parse" ABSENT <out>)
bad_input("onnx: empty file" 2 ARGS "${E} ${BAD_IN}/onnx/empty.onnx"
  STDERR "empty.onnx: cannot parse" ABSENT <out>)
bad_input("onnx: random bytes" 2 ARGS "${E} ${BAD_IN}/onnx/garbage.onnx"
  STDERR "garbage.onnx: cannot parse" ABSENT <out>)
bad_input("onnx: text instead of protobuf" 2 ARGS "${E} ${BAD_IN}/onnx/text.onnx"
  STDERR "text.onnx: cannot parse" ABSENT <out>)
bad_input("onnx: byte-edited unknown op" 2 ARGS "${E} ${BAD_IN}/onnx/unknown_op.onnx"
  STDERR "unknown_op.onnx: node 'conv_g' \\(Cpnv\\): unsupported op" ABSENT <out>)
bad_input("onnx: byte-edited initializer name" 2 ARGS "${E} ${BAD_IN}/onnx/missing_initializer.onnx"
  STDERR "missing_initializer.onnx: node 'conv_g' \\(Conv\\): input 'w' is neither an initializer" ABSENT <out>)
bad_input("onnx: DOUBLE initializer" 2 ARGS "${E} ${BAD_IN}/onnx/double_initializer.onnx"
  STDERR "double_initializer.onnx: node 'conv_g' \\(Conv\\): initializer: tensor 'w' has data type DOUBLE" ABSENT <out>)
bad_input("onnx: INT64 weights with a float payload" 2 ARGS "${E} ${BAD_IN}/onnx/int64_initializer.onnx"
  STDERR "int64_initializer.onnx: node 'conv_g' \\(Conv\\): initializer: tensor 'w' holds 36 values but its dims need 72" ABSENT <out>)
bad_input("onnx: missing initializer" 2 ARGS "${E} ${ONNX_DATA}/err_missing_initializer.onnx"
  STDERR "err_missing_initializer.onnx: node 'conv1' \\(Conv\\): input 'w_missing'" ABSENT <out>)
bad_input("onnx: INT32 initializer" 2 ARGS "${E} ${ONNX_DATA}/err_int_initializer.onnx"
  STDERR "err_int_initializer.onnx: node 'conv1' \\(Conv\\): initializer: tensor 'w' has data type INT32" ABSENT <out>)
bad_input("onnx: auto_pad" 2 ARGS "${E} ${ONNX_DATA}/err_auto_pad.onnx"
  STDERR "err_auto_pad.onnx: node 'conv1' \\(Conv\\): attribute 'auto_pad' = SAME_UPPER is not supported" ABSENT <out>)
bad_input("onnx: 3 strides on a 2-D conv" 2 ARGS "${E} ${ONNX_DATA}/err_bad_attribute.onnx"
  STDERR "err_bad_attribute.onnx: node 'conv1' \\(Conv\\): attribute 'strides' has 3 values \\(expected 2\\)" ABSENT <out>)
bad_input("onnx: BatchNormalization without a Conv" 2 ARGS "${E} ${ONNX_DATA}/err_bn_without_conv.onnx"
  STDERR "err_bn_without_conv.onnx: node 'bn' \\(BatchNormalization\\)" ABSENT <out>)
bad_input("onnx: weight channels not matching the input" 2 ARGS "${E} ${ONNX_DATA}/err_channels.onnx"
  STDERR "err_channels.onnx: node 'conv1' \\(Conv\\): input has 1 channels" ABSENT <out>)
bad_input("onnx: Gemm with transA" 2 ARGS "${E} ${ONNX_DATA}/err_gemm_trans_a.onnx"
  STDERR "err_gemm_trans_a.onnx: node 'fc' \\(Gemm\\): attribute 'transA' = 1 is not supported" ABSENT <out>)
bad_input("onnx: nodes not in topological order" 2 ARGS "${E} ${ONNX_DATA}/err_not_topological.onnx"
  STDERR "err_not_topological.onnx: node 'second' \\(Relu\\): input 'r' is produced by the later node 'first'" ABSENT <out>)
bad_input("onnx: model as a layer table of dlasim run" 2
  ARGS "${RUN} --set workload.layers=${BAD_IN}/onnx/truncated_half.onnx --out <out>"
  STDERR "truncated_half.onnx: cannot parse" ABSENT <out>)

# --- sweep files ----------------------------------------------------------------------------------------------
set(W "sweep --out <out>")
bad_input("sweep: unknown top-level key" 2 ARGS "${W} ${BAD_IN}/sweep/unknown_key.yaml"
  STDERR "unknown_key.yaml:4:1: repeat: unknown key \\(expected name, base, axes, zip, accuracy\\)" ABSENT <out>)
bad_input("sweep: empty axis" 2 ARGS "${W} ${BAD_IN}/sweep/empty_axis.yaml"
  STDERR "empty_axis.yaml:3:3: axes.arch.lanes: expected a non-empty list of values" ABSENT <out>)
bad_input("sweep: duplicate axis" 2 ARGS "${W} ${BAD_IN}/sweep/duplicate_axis.yaml"
  STDERR "duplicate_axis.yaml:4:3: axes.arch.lanes: duplicate axis" ABSENT <out>)
bad_input("sweep: axes not a map" 2 ARGS "${W} ${BAD_IN}/sweep/axes_not_map.yaml"
  STDERR "axes_not_map.yaml:2:1: axes: expected a map of config keys to lists of values" ABSENT <out>)
bad_input("sweep: zip naming a key outside axes" 2 ARGS "${W} ${BAD_IN}/sweep/zip_not_axis.yaml"
  STDERR "zip_not_axis.yaml:6:18: zip: \"arch.vector_size\" is not a key of axes" ABSENT <out>)
bad_input("sweep: zip group of one key" 2 ARGS "${W} ${BAD_IN}/sweep/zip_single.yaml"
  STDERR "zip_single.yaml:5:5: zip: expected a group of at least two axis keys" ABSENT <out>)
bad_input("sweep: zip not a list" 2 ARGS "${W} ${BAD_IN}/sweep/zip_not_list.yaml"
  STDERR "zip_not_list.yaml:4:6: zip: expected a list of key lists" ABSENT <out>)
bad_input("sweep: map as an axis value" 2 ARGS "${W} ${BAD_IN}/sweep/bad_value_type.yaml"
  STDERR "bad_value_type.yaml:3:19: axes.arch.lanes: expected a scalar value, got a map" ABSENT <out>)
bad_input("sweep: unknown enum value" 2 ARGS "${W} ${BAD_IN}/sweep/bad_value_enum.yaml"
  STDERR "bad_value_enum.yaml:3:44: axis quant.weights.granularity value per_row: quant.weights.granularity: expected one of per_channel, per_vector" ABSENT <out>)
bad_input("sweep: no base" 2 ARGS "${W} ${BAD_IN}/sweep/missing_base.yaml"
  STDERR "missing_base.yaml: base: missing \\(the config file every point starts from\\)" ABSENT <out>)
bad_input("sweep: base file missing" 2 ARGS "${W} ${BAD_IN}/sweep/base_missing_file.yaml"
  STDERR "base_missing_file.yaml: base config: [^\n]*no_such_config.yaml: cannot read config file: No such file" ABSENT <out>)
bad_input("sweep: base config with an unknown key" 2 ARGS "${W} ${BAD_IN}/sweep/base_bad_config.yaml"
  STDERR "base_bad_config.yaml: base config: [^\n]*unknown_nested_key.yaml:4:5: quant.weights.bitz: unknown key" ABSENT <out>)
bad_input("sweep: YAML syntax error" 2 ARGS "${W} ${BAD_IN}/sweep/yaml_syntax.yaml"
  STDERR "yaml_syntax.yaml:4:11: YAML syntax error: end of sequence flow not found" ABSENT <out>)
bad_input("sweep: empty file" 2 ARGS "${W} ${BAD_IN}/sweep/empty.yaml"
  STDERR "empty.yaml: expected a map with base: and axes:" ABSENT <out>)
bad_input("sweep: name with spaces" 2 ARGS "${W} ${BAD_IN}/sweep/bad_name.yaml"
  STDERR "bad_name.yaml:1:1: name: expected letters, digits" ABSENT <out>)
bad_input("sweep: 10^10 points" 2 ARGS "${W} ${BAD_IN}/sweep/too_many_points.yaml --list"
  STDERR "too_many_points.yaml: axes: 1e\\+10 points \\(the product of the axis lengths\\), more than 1000000" ABSENT <out>)

# --- tech files -----------------------------------------------------------------------------------------------
set(T "${RUN} --out <out> --set tech=${BAD_IN}/tech")
bad_input("tech: missing entry" 2 ARGS "${T}/missing_entry.yaml"
  STDERR "missing_entry.yaml: entries.int8_mult_area: missing \\(unit um2\\)" ABSENT <out>)
bad_input("tech: word for a value" 2 ARGS "${T}/bad_value.yaml"
  STDERR "bad_value.yaml:8:5: entries.int8_mult_energy.value: expected a positive number" ABSENT <out>)
bad_input("tech: negative value" 2 ARGS "${T}/negative_value.yaml"
  STDERR "negative_value.yaml:8:5: entries.int8_mult_energy.value: expected a positive number" ABSENT <out>)
bad_input("tech: wrong unit" 2 ARGS "${T}/wrong_unit.yaml"
  STDERR "wrong_unit.yaml:8:5: entries.int8_mult_energy.unit: expected \"pJ\", got \"furlongs\"" ABSENT <out>)
bad_input("tech: unknown top-level key" 2 ARGS "${T}/unknown_key.yaml"
  STDERR "unknown_key.yaml:6:1: voltage: unknown key" ABSENT <out>)
bad_input("tech: unknown entry" 2 ARGS "${T}/unknown_entry.yaml"
  STDERR "unknown_entry.yaml:7:3: entries.int9_mult_energy: unknown entry" ABSENT <out>)
bad_input("tech: YAML syntax error" 2 ARGS "${T}/yaml_syntax.yaml"
  STDERR "yaml_syntax.yaml: yaml-cpp: error at line 7, column 19" ABSENT <out>)
bad_input("tech: empty file" 2 ARGS "${T}/empty.yaml"
  STDERR "tech/empty.yaml: expected a map with name, node_nm and entries" ABSENT <out>)
bad_input("tech: non-scalar key" 2 ARGS "${T}/complex_key.yaml"
  STDERR "complex_key.yaml:3:3: \\(a non-scalar key\\): unknown key" ABSENT <out>)
bad_input("tech: missing base file" 2 ARGS "${T}/missing_base.yaml"
  STDERR "missing_base.yaml:3:7: base: [^\n]*no_such_base.yaml: cannot open the tech file" ABSENT <out>)
bad_input("tech: base cycle" 2 ARGS "${T}/base_cycle.yaml"
  STDERR "base_cycle.yaml:3:7: base: .*more than 8 nested base files" ABSENT <out>)
bad_input("tech: base not a path" 2 ARGS "${T}/base_not_a_path.yaml"
  STDERR "base_not_a_path.yaml:3:7: base: expected the path of the base tech file" ABSENT <out>)
bad_input("tech: a directory" 2 ARGS "${RUN} --out <out> --set tech=${BAD_IN}/tech"
  STDERR "bad_inputs/tech: is a directory, expected a tech file" ABSENT <out>)
bad_input("tech: export-energy with a missing tech file" 2
  ARGS "export-energy configs/default.yaml --set tech=no_such_tech.yaml --out <out>"
  STDERR "no_such_tech.yaml" ABSENT <out>)

# --- Fashion-MNIST dataset for dlasim eval --data-dir ---------------------------------------------------------
set(D "eval configs/default.yaml --model tests/data/onnx/conv_groups.onnx --out <out> --data-dir ${BAD_IN}/dataset")
bad_input("dataset: truncated gzip" 2 ARGS "${D}/truncated_gzip"
  STDERR "truncated_gzip/train-images-idx3-ubyte.gz: (not a readable gzip file|[0-9]+ data bytes, the header's dimensions need 3136 \\(truncated\\?\\))" ABSENT <out>)
bad_input("dataset: not gzip, not IDX" 2 ARGS "${D}/not_gzip"
  STDERR "not_gzip/train-images-idx3-ubyte.gz: not an IDX file of 3 dimension\\(s\\) \\(expected magic 0x00000803\\)" ABSENT <out>)
bad_input("dataset: truncated IDX data" 2 ARGS "${D}/truncated_idx"
  STDERR "truncated_idx/t10k-images-idx3-ubyte.gz: 1468 data bytes, the header's dimensions need 1568 \\(truncated\\?\\)" ABSENT <out>)
bad_input("dataset: wrong IDX magic" 2 ARGS "${D}/bad_magic"
  STDERR "bad_magic/train-labels-idx1-ubyte.gz: not an IDX file of 1 dimension\\(s\\)" ABSENT <out>)
bad_input("dataset: gzip CRC mismatch" 2 ARGS "${D}/corrupt_gzip_crc"
  STDERR "corrupt_gzip_crc/train-labels-idx1-ubyte.gz: not a readable gzip file" ABSENT <out>)
bad_input("dataset: label count not the image count" 2 ARGS "${D}/label_count"
  STDERR "label_count/t10k-images-idx3-ubyte.gz: 2 images, but [^\n]*t10k-labels-idx1-ubyte.gz has 3 labels" ABSENT <out>)
bad_input("dataset: label outside 0..9" 2 ARGS "${D}/label_range"
  STDERR "label_range/train-labels-idx1-ubyte.gz: label 42 of item 2 is not a class in \\[0, 9\\]" ABSENT <out>)
bad_input("dataset: missing labels file names the option" 2 ARGS "${D}/missing_labels"
  STDERR "missing_labels/t10k-labels-idx1-ubyte.gz: no such file .*set eval.data_dir or --data-dir" ABSENT <out>)
bad_input("dataset: images of another size than the model input" 2 ARGS "${D}/image_size"
  STDERR "conv_groups.onnx: .*input dims \\[1, 1, 5, 5\\] differ from the model's \\[1, 4, 9, 8\\]" ABSENT <out>)
bad_input("dataset: no images" 2 ARGS "${D}/no_images"
  STDERR "no_images/train-images-idx3-ubyte.gz: holds no images" ABSENT <out>)

# --- eval --simulate on the trained model (traces/models/fmnist_resnet.onnx, from tools/train_fmnist.py) ------
bad_input("config: eval --simulate with a weight buffer too small to tile the model" 2
  ARGS "eval tests/cli/inputs/fmnist_small.yaml --limit 2 --simulate 1 --set arch.weight_buffer_kib=0.01 --out <out>"
  STDERR "fmnist_resnet.onnx: layer '/stem/Conv' cannot be tiled: .* on the design \\(PE buffers arch.weight_buffer_kib" ABSENT <out>)
