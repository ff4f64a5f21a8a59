// The official `openai` npm client against the real `tern serve` (run by ctest as
// OpenAiNpmClient):  node run.mjs TERN_BINARY MODEL.gguf
// Starts the server on a free port with --alias, then drives it the way applications do:
// model list and lookup, chat and completions, streaming and not, log-probabilities,
// content parts, the client's stream helper, and errors surfacing as the client's typed
// exceptions with the field named. Any mismatch throws; the exit code is non-zero.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [tern, model] = process.argv.slice(2);
if (!tern || !model) {
  console.error('usage: node run.mjs TERN_BINARY MODEL.gguf');
  process.exit(2);
}

const ALIAS = 'tern-demo';

// `tern serve --port 0` prints "... on http://127.0.0.1:PORT ..." on stderr once listening.
function startServer() {
  const child = spawn(tern, ['serve', '-m', model, '--port', '0', '--alias', ALIAS, '--parallel', '2', '-c', '256'],
                      { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tern serve did not start in 60 s:\n${log}`)), 60000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/on http:\/\/[^:]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tern serve exited (${code}):\n${log}`)); });
  });
  return { child, port };
}

async function expectApiError(promise, status, param) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `expected an APIError, got ${e}`);
    assert.equal(e.status, status, e.message);
    assert.equal(e.param, param, e.message);
    return;
  }
  assert.fail(`expected HTTP ${status} naming ${param}`);
}

function checkChatLogprobs(content, logprobs, completionTokens, top) {
  assert.ok(Array.isArray(logprobs.content), 'choice.logprobs.content is a list');
  assert.equal(logprobs.content.length, completionTokens, 'one log-probability per generated token');
  // A token may hold part of a character: its exact bytes spell the reply.
  if (!content.includes('\uFFFD')) {
    assert.deepEqual(Buffer.from(logprobs.content.flatMap((e) => e.bytes)), Buffer.from(content, 'utf8'),
                     'the tokens spell the reply');
  }
  for (const e of logprobs.content) {
    assert.ok(e.logprob <= 0, `logprob ${e.logprob} <= 0`);
    assert.ok(Array.isArray(e.bytes));
    assert.equal(e.top_logprobs.length, top);
    assert.equal(e.top_logprobs[0].token, e.token, 'greedy: the chosen token is the most likely');
  }
}

async function main() {
  const { child, port } = startServer();
  const stop = () => child.kill('SIGTERM');
  try {
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${await port}/v1`, apiKey: 'none', maxRetries: 0,
                                timeout: 120000 });

    // Models: the alias is listed and found; another name is not.
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.deepEqual(models, [ALIAS]);
    assert.equal((await client.models.retrieve(ALIAS)).id, ALIAS);
    await expectApiError(client.models.retrieve('gpt-4o'), 404, 'model');

    // Chat, not streamed: a hard-coded model name, content parts, logprobs.
    const chatRequest = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You tell stories.' },
        { role: 'user', content: [{ type: 'text', text: 'Once upon a time' }, { type: 'text', text: 'there was a ship.' }] },
      ],
      max_tokens: 16, temperature: 0, logprobs: true, top_logprobs: 2,
    };
    const chat = await client.chat.completions.create(chatRequest);
    const reply = chat.choices[0].message.content;
    assert.equal(chat.object, 'chat.completion');
    assert.equal(chat.model, ALIAS);
    assert.equal(typeof reply, 'string');
    assert.ok(reply.length > 0, 'the reply is not empty');
    assert.ok(['stop', 'length'].includes(chat.choices[0].finish_reason));
    checkChatLogprobs(reply, chat.choices[0].logprobs, chat.usage.completion_tokens, 2);

    // The same parts joined by hand with "\n" are the same prompt.
    const joined = await client.chat.completions.create({
      ...chatRequest, messages: [chatRequest.messages[0], { role: 'user', content: 'Once upon a time\nthere was a ship.' }],
    });
    assert.equal(joined.usage.prompt_tokens, chat.usage.prompt_tokens);
    assert.equal(joined.choices[0].message.content, reply);

    // Chat, streamed: the same text and log-probabilities; usage in its own last chunk.
    const stream = await client.chat.completions.create({ ...chatRequest, stream: true,
                                                          stream_options: { include_usage: true } });
    let streamed = '';
    const streamedLogprobs = [];
    let usage = null;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) { usage = chunk.usage; continue; }
      streamed += chunk.choices[0].delta.content ?? '';
      streamedLogprobs.push(...(chunk.choices[0].logprobs?.content ?? []));
    }
    assert.equal(streamed, reply);
    assert.deepEqual(streamedLogprobs, chat.choices[0].logprobs.content);
    assert.ok(usage, 'stream_options.include_usage gives a usage chunk');
    assert.equal(usage.completion_tokens, chat.usage.completion_tokens);

    // The client's stream helper assembles the chunks into a completion.
    const helper = client.chat.completions.stream({ ...chatRequest });
    const final = await helper.finalChatCompletion();
    assert.equal(final.choices[0].message.content, reply);
    checkChatLogprobs(reply, final.choices[0].logprobs, chat.usage.completion_tokens, 2);

    // Completions, not streamed and streamed.
    const completionRequest = { model: 'gpt-3.5-turbo-instruct', prompt: 'The ship sailed', max_tokens: 16,
                                temperature: 0, logprobs: 2 };
    const completion = await client.completions.create(completionRequest);
    const text = completion.choices[0].text;
    assert.equal(completion.object, 'text_completion');
    assert.ok(text.length > 0);
    const lp = completion.choices[0].logprobs;
    if (!lp.tokens.some((t) => t.includes('\uFFFD'))) assert.equal(lp.tokens.join(''), text);
    assert.equal(lp.token_logprobs.length, completion.usage.completion_tokens);
    assert.equal(lp.text_offset[0], 0);
    let streamedText = '';
    const streamedTokens = [];
    for await (const chunk of await client.completions.create({ ...completionRequest, stream: true })) {
      streamedText += chunk.choices[0]?.text ?? '';
      streamedTokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
    }
    assert.equal(streamedText, text);
    assert.deepEqual(streamedTokens, lp.tokens);

    // Sampling with penalties and a seed is reproducible.
    const sampled = { ...completionRequest, temperature: 0.8, seed: 11, presence_penalty: 0.5, frequency_penalty: 0.5 };
    const a = await client.completions.create(sampled);
    const b = await client.completions.create(sampled);
    assert.equal(a.choices[0].text, b.choices[0].text);

    // Refusals reach the client as typed errors naming the field.
    await expectApiError(client.chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }],
    }), 400, 'messages[0].content[0].type');
    await expectApiError(client.chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' },
    }), 400, 'response_format');
    await expectApiError(client.chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    }), 400, 'tools');
    await expectApiError(client.chat.completions.create({
      model: 'x', messages: [{ role: 'wizard', content: 'hi' }],
    }), 400, 'messages[0].role');
    console.log('openai client test: every check passed');
  } finally {
    stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
