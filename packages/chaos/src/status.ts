import { currentStep, type Fault, type FaultStep, faultJson } from './fault.js';
import type { InjectionCounts } from './injector.js';
import type { StopWhen } from './stop-condition.js';

/** A fault as `GET /status` and `GET /faults` show it: with the time left and the ramp step in force. */
export type ActiveFaultJson = ReturnType<typeof faultJson> & {
  remainingSeconds: number;
  currentStep: FaultStep;
};

export interface ChaosStatus {
  enabled: boolean;
  /** The stop condition of faults that declare none. */
  defaultStopWhen: StopWhen | null;
  faults: ActiveFaultJson[];
  injections: InjectionCounts;
}

export function activeFaultJson(fault: Fault, now: number): ActiveFaultJson {
  return {
    ...faultJson(fault),
    remainingSeconds: Math.max(0, Math.round((fault.expiresAt.getTime() - now) / 100) / 10),
    currentStep: currentStep(fault, now),
  };
}
