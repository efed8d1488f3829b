// Greedy generation with llama.cpp (through node-llama-cpp's prebuilt CPU binary): the reference that
// greenllm's `run --temp 0` is compared against in tests/cli/llama_cpp_compat_test.cpp.
//
//   node llama_generate.mjs MODEL.gguf [-n N] [-p PROMPT] [-t THREADS] [--ignore-eos] [--json]
//
// Starts from BOS (followed by PROMPT's tokens when -p is given), evaluates on one context sequence
// and picks each next token greedily (temperature 0: llama.cpp's greedy sampler, no other sampler in
// the chain). Prints the generated text only (not the prompt) to stdout, with no trailing newline; with
// --json prints {"tokens": [ids...], "text": "..."} instead. Stops after N tokens (default 256) or
// at an end-of-generation token unless --ignore-eos. Exit 0 ok, 1 failure, 2 usage.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

function usage(message) {
    if (message) process.stderr.write(`llama_generate: ${message}\n`);
    process.stderr.write(
        "usage: node llama_generate.mjs MODEL.gguf [-n N] [-p PROMPT] [-t THREADS] [--ignore-eos] [--json]\n");
    process.exit(2);
}

function parseArgs(argv) {
    const args = {model: null, n: 256, prompt: "", threads: 1, ignoreEos: false, json: false};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            return argv[++i];
        };
        if (a === "-n") args.n = Number.parseInt(value(), 10);
        else if (a === "-p") args.prompt = value();
        else if (a === "-t") args.threads = Number.parseInt(value(), 10);
        else if (a === "--ignore-eos") args.ignoreEos = true;
        else if (a === "--json") args.json = true;
        else if (a.startsWith("-")) usage(`unknown flag ${a}`);
        else if (args.model === null) args.model = a;
        else usage(`unexpected argument ${a}`);
    }
    if (args.model === null) usage("no model given");
    if (!Number.isInteger(args.n) || args.n < 0) usage("-n must be a non-negative integer");
    if (!Number.isInteger(args.threads) || args.threads < 1) usage("-t must be a positive integer");
    return args;
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    // build: "never" uses only the prebuilt binary of @node-llama-cpp/linux-x64: nothing is compiled
    // or downloaded at test time; a missing binary is an error, not a silent 10-minute build.
    const llama = await getLlama({
        gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error,
    });
    const model = await llama.loadModel({modelPath: args.model, gpuLayers: 0});
    const bos = model.tokens.bos;
    if (bos == null) throw new Error(`${args.model}: the model has no BOS token`);
    const promptTokens = [bos, ...(args.prompt === "" ? [] : model.tokenize(args.prompt, false))];

    // The context holds the whole sequence, so no context shift can change the output.
    const context = await model.createContext({
        contextSize: promptTokens.length + args.n + 1, sequences: 1, threads: args.threads,
    });
    const sequence = context.getSequence();

    const generated = [];
    if (args.n > 0) {
        // temperature 0 selects llama.cpp's greedy sampler; every other option is left at its
        // default (no repeat penalty, no token bias). yieldEogToken lets --ignore-eos go past EOS.
        const options = {temperature: 0, yieldEogToken: true};
        for await (const token of sequence.evaluate(promptTokens, options)) {
            if (!args.ignoreEos && model.isEogToken(token)) break;
            generated.push(token);
            if (generated.length >= args.n) break;
        }
    }

    // llama.cpp's detokenizer drops the SentencePiece leading space of the first piece, as llama2.c
    // does after BOS ("Once", not " Once"); the prompt is passed as context for the pieces after it.
    const text = model.detokenize(generated, false, promptTokens);
    const out = args.json ? JSON.stringify({tokens: generated, text}) + "\n" : text;
    await new Promise((resolve) => process.stdout.write(out, resolve));

    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch((err) => {
    process.stderr.write(`llama_generate: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
});
