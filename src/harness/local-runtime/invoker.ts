/**
 * Invokes a registered function exactly as the Node worker does, through the app's programming
 * model: getInvocationModel -> getArguments -> preInvocation hooks -> invokeFunction ->
 * postInvocation hooks -> getResponse.
 */
import { randomUUID } from 'node:crypto';
import type { CoreInvocationContext, FunctionsCore, RegisteredFunction, RpcInvocationResponse, RpcTypedData } from './functions-core';

export interface InvocationInput {
  /** Data per binding name (the trigger and any extra inputs such as a durable client). */
  readonly inputData: readonly { name: string; data: RpcTypedData | null | undefined }[];
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  readonly invocationId?: string;
}

export interface InvocationOutcome {
  readonly invocationId: string;
  /** The handler's result after postInvocation hooks (what getResponse converted). */
  readonly result: unknown;
  readonly response: RpcInvocationResponse;
  /** The library's InvocationContext (the durable handler leaves its state on `context.df`). */
  readonly context: unknown;
}

/** Thrown when the function (or a hook) threw; `context` is kept for the durable handler's state. */
export class FunctionInvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly error: unknown,
    readonly context: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'FunctionInvocationError';
  }
}

export async function invokeFunction(core: FunctionsCore, fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> {
  const model = core.programmingModel;
  if (!model) throw new Error('no programming model is registered');
  const invocationId = input.invocationId ?? randomUUID();
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.name,
      inputData: [...input.inputData],
      triggerMetadata: input.triggerMetadata ?? {},
    },
    metadata: fn.metadata,
    log: (level, category, message) => core.logSink(level, category, `${fn.metadata.name}: ${message}`),
  };
  const invocationModel = model.getInvocationModel(coreCtx);
  const { context, inputs } = await invocationModel.getArguments();

  const hookData: Record<string, unknown> = {};
  const preContext: Record<string, unknown> = { hookData, invocationContext: context, inputs, functionCallback: fn.callback };
  coreCtx.state = 'preInvocationHooks';
  await core.runHooks('preInvocation', preContext);
  const handler = preContext.functionCallback as typeof fn.callback;
  const hookInputs = preContext.inputs as unknown[];

  coreCtx.state = 'invocation';
  let result: unknown;
  let error: unknown;
  let failed = false;
  try {
    result = await invocationModel.invokeFunction(context, hookInputs, handler);
  } catch (caught) {
    failed = true;
    error = caught;
  }

  const postContext: Record<string, unknown> = { hookData, invocationContext: context, inputs: hookInputs, result, error };
  coreCtx.state = 'postInvocationHooks';
  await core.runHooks('postInvocation', postContext);
  // A postInvocation hook may replace the result or clear/replace the error (as in the worker).
  result = postContext.result;
  error = postContext.error;
  failed = failed && error !== undefined ? true : error !== undefined;
  if (failed) throw new FunctionInvocationError(fn.metadata.name, error, context);

  const response = await invocationModel.getResponse(context, result);
  return { invocationId, result, response, context };
}
