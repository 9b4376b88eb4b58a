// Sysman (zes*): available when ZES_ENABLE_SYSMAN=1 was set at zeInit; a ze_device_handle_t is then
// usable as a zes_device_handle_t. Engine activity comes from the engines' real busy time; power,
// temperature and frequency are modelled from that activity:
//   power = idle + (TDP - idle) * utilisation, energy = integral of power;
//   temperature = 35 C + 50 C * utilisation, smoothed with a 2 s time constant;
//   frequency = max clock while any engine is busy, 300 MHz when idle.
#include "xpusim.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SM_ENGINE = 1, SM_MEM, SM_FREQ, SM_TEMP, SM_POWER };

typedef struct xs_sm_obj {
    uint32_t magic;
    int kind;
    xs_device *dev;
    zes_engine_group_t group;   // SM_ENGINE
    int engine;                 // single engine index, -1 for a group
} xs_sm_obj;

typedef struct xs_sysman {
    uint32_t n_engines;
    xs_sm_obj *engines;
    xs_sm_obj mem, freq, temp, power;
    pthread_mutex_t mu;
    double temp_c;
    uint64_t temp_ns, temp_busy;
} xs_sysman;

static pthread_mutex_t sm_mu = PTHREAD_MUTEX_INITIALIZER;

uint64_t xs_engine_busy_ns(xs_engine *e, uint64_t now) {
    pthread_mutex_lock(&e->mu);
    uint64_t b = e->busy_ns + (e->busy_since_ns && now > e->busy_since_ns ? now - e->busy_since_ns : 0);
    pthread_mutex_unlock(&e->mu);
    return b;
}

static bool is_compute(int kind) { return kind == XS_ENGINE_CCS || kind == XS_ENGINE_RCS; }

static xs_sysman *get_sysman(xs_device *d) {
    pthread_mutex_lock(&sm_mu);
    if (!d->sysman) {
        xs_sysman *s = calloc(1, sizeof *s);
        if (s) {
            s->engines = calloc(d->n_engines + 3, sizeof *s->engines);
            if (!s->engines) { free(s); s = NULL; }
        }
        if (s) {
            pthread_mutex_init(&s->mu, NULL);
            for (uint32_t i = 0; i < d->n_engines; i++) {
                xs_sm_obj *o = &s->engines[s->n_engines++];
                o->kind = SM_ENGINE; o->dev = d; o->engine = (int)i;
                int k = d->engines[i].kind;
                o->group = k == XS_ENGINE_CCS ? ZES_ENGINE_GROUP_COMPUTE_SINGLE : k == XS_ENGINE_RCS ? ZES_ENGINE_GROUP_RENDER_SINGLE : ZES_ENGINE_GROUP_COPY_SINGLE;
            }
            zes_engine_group_t groups[3] = { ZES_ENGINE_GROUP_ALL, ZES_ENGINE_GROUP_COMPUTE_ALL, ZES_ENGINE_GROUP_COPY_ALL };
            for (int g = 0; g < 3; g++) {
                xs_sm_obj *o = &s->engines[s->n_engines++];
                o->kind = SM_ENGINE; o->dev = d; o->engine = -1; o->group = groups[g];
            }
            s->mem = (xs_sm_obj){ XS_MAGIC, SM_MEM, d, 0, -1 };
            s->freq = (xs_sm_obj){ XS_MAGIC, SM_FREQ, d, 0, -1 };
            s->temp = (xs_sm_obj){ XS_MAGIC, SM_TEMP, d, 0, -1 };
            s->power = (xs_sm_obj){ XS_MAGIC, SM_POWER, d, 0, -1 };
            for (uint32_t i = 0; i < s->n_engines; i++) { s->engines[i].magic = XS_MAGIC; xs_reg_add(&s->engines[i], XS_T_SYSMAN); }
            xs_reg_add(&s->mem, XS_T_SYSMAN);
            xs_reg_add(&s->freq, XS_T_SYSMAN);
            xs_reg_add(&s->temp, XS_T_SYSMAN);
            xs_reg_add(&s->power, XS_T_SYSMAN);
            s->temp_c = 35.0;
            s->temp_ns = xs_now_ns();
            d->sysman = s;
        }
    }
    xs_sysman *s = d->sysman;
    pthread_mutex_unlock(&sm_mu);
    return s;
}

void xs_sysman_free(xs_device *d) {
    xs_sysman *s = d->sysman;
    if (!s) return;
    for (uint32_t i = 0; i < s->n_engines; i++) xs_reg_del(&s->engines[i]);
    xs_reg_del(&s->mem); xs_reg_del(&s->freq); xs_reg_del(&s->temp); xs_reg_del(&s->power);
    pthread_mutex_destroy(&s->mu);
    free(s->engines);
    free(s);
    d->sysman = NULL;
}

// average busy time of the compute engines (ns) and whether any engine is busy now
static uint64_t compute_busy(xs_device *d, uint64_t now, bool *busy_now) {
    uint64_t sum = 0, n = 0;
    if (busy_now) *busy_now = false;
    for (uint32_t i = 0; i < d->n_engines; i++) {
        xs_engine *e = &d->engines[i];
        if (busy_now && e->busy_since_ns) *busy_now = true;
        if (!is_compute(e->kind)) continue;
        sum += xs_engine_busy_ns(e, now);
        n++;
    }
    return n ? sum / n : 0;
}

#define SM_DEV(h) XS_CHECK_INIT(); XS_CHECK_HANDLE(h, XS_T_DEVICE); if (!xs_drv.sysman) return ZE_RESULT_ERROR_UNINITIALIZED; \
    xs_device *d = (xs_device *)(h); xs_sysman *s = get_sysman(d); if (!s) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY
#define SM_OBJ(h, k) XS_CHECK_INIT(); XS_CHECK_HANDLE(h, XS_T_SYSMAN); xs_sm_obj *o = (xs_sm_obj *)(h); \
    if (o->kind != (k)) return ZE_RESULT_ERROR_INVALID_ARGUMENT

XS_IMPL ze_result_t xs_zesDeviceGetProperties(zes_device_handle_t h, zes_device_properties_t *p) {
    SM_DEV(h);
    (void)s;
    XS_CHECK_PTR(p);
    p->core.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    p->core.pNext = NULL;
    xs_fill_device_properties(d, &p->core);
    p->numSubdevices = d->n_subs;
    snprintf(p->serialNumber, sizeof p->serialNumber, "XPUSIM%04X%02u", d->prof->device_id, d->ordinal);
    snprintf(p->boardNumber, sizeof p->boardNumber, "xpusim-board-%02u", d->ordinal);
    snprintf(p->brandName, sizeof p->brandName, "Intel(R) Corporation");
    snprintf(p->modelName, sizeof p->modelName, "%.63s", d->prof->name);
    snprintf(p->vendorName, sizeof p->vendorName, "Intel(R) Corporation");
    snprintf(p->driverVersion, sizeof p->driverVersion, "1.3.%u (xpusim)", d->prof->driver_build);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceEnumEngineGroups(zes_device_handle_t h, uint32_t *pCount, zes_engine_handle_t *ph) {
    SM_DEV(h);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = s->n_engines; return ZE_RESULT_SUCCESS; }
    if (*pCount > s->n_engines) *pCount = s->n_engines;
    for (uint32_t i = 0; i < *pCount; i++) ph[i] = (zes_engine_handle_t)&s->engines[i];
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesEngineGetProperties(zes_engine_handle_t h, zes_engine_properties_t *p) {
    SM_OBJ(h, SM_ENGINE);
    XS_CHECK_PTR(p);
    p->type = o->group;
    p->onSubdevice = o->dev->is_sub;
    p->subdeviceId = o->dev->is_sub ? (uint32_t)o->dev->tile : 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesEngineGetActivity(zes_engine_handle_t h, zes_engine_stats_t *st) {
    SM_OBJ(h, SM_ENGINE);
    XS_CHECK_PTR(st);
    xs_device *d = o->dev;
    uint64_t now = xs_now_ns();
    uint64_t busy = 0;
    if (o->engine >= 0) busy = xs_engine_busy_ns(&d->engines[o->engine], now);
    else {
        // group activity: the busiest member (an approximation of "any member busy")
        for (uint32_t i = 0; i < d->n_engines; i++) {
            int k = d->engines[i].kind;
            bool member = o->group == ZES_ENGINE_GROUP_ALL || (o->group == ZES_ENGINE_GROUP_COMPUTE_ALL && is_compute(k)) ||
                          (o->group == ZES_ENGINE_GROUP_COPY_ALL && !is_compute(k));
            if (!member) continue;
            uint64_t b = xs_engine_busy_ns(&d->engines[i], now);
            if (b > busy) busy = b;
        }
    }
    st->activeTime = busy / 1000;  // microseconds
    st->timestamp = now / 1000;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceEnumMemoryModules(zes_device_handle_t h, uint32_t *pCount, zes_mem_handle_t *ph) {
    SM_DEV(h);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    ph[0] = (zes_mem_handle_t)&s->mem;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesMemoryGetProperties(zes_mem_handle_t h, zes_mem_properties_t *p) {
    SM_OBJ(h, SM_MEM);
    XS_CHECK_PTR(p);
    const xs_profile *pr = o->dev->prof;
    p->type = pr->memory_name[0] == 'H' ? ZES_MEM_TYPE_HBM : (pr->integrated ? ZES_MEM_TYPE_LPDDR5 : ZES_MEM_TYPE_GDDR6);
    p->onSubdevice = o->dev->is_sub;
    p->subdeviceId = o->dev->is_sub ? (uint32_t)o->dev->tile : 0;
    p->location = pr->integrated ? ZES_MEM_LOC_SYSTEM : ZES_MEM_LOC_DEVICE;
    p->physicalSize = pr->memory_bytes * o->dev->n_tiles;
    p->busWidth = (int32_t)pr->memory_bus_width;
    p->numChannels = -1;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesMemoryGetState(zes_mem_handle_t h, zes_mem_state_t *st) {
    SM_OBJ(h, SM_MEM);
    XS_CHECK_PTR(st);
    xs_device *d = o->dev;
    uint64_t size = d->prof->memory_bytes * d->n_tiles;
    pthread_mutex_lock(&d->mem_mu);
    uint64_t used = d->mem_used;
    pthread_mutex_unlock(&d->mem_mu);
    st->health = ZES_MEM_HEALTH_OK;
    st->size = size;
    st->free = used > size ? 0 : size - used;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceEnumFrequencyDomains(zes_device_handle_t h, uint32_t *pCount, zes_freq_handle_t *ph) {
    SM_DEV(h);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    ph[0] = (zes_freq_handle_t)&s->freq;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesFrequencyGetProperties(zes_freq_handle_t h, zes_freq_properties_t *p) {
    SM_OBJ(h, SM_FREQ);
    XS_CHECK_PTR(p);
    p->type = ZES_FREQ_DOMAIN_GPU;
    p->onSubdevice = o->dev->is_sub;
    p->subdeviceId = o->dev->is_sub ? (uint32_t)o->dev->tile : 0;
    p->canControl = 0;
    p->isThrottleEventSupported = 0;
    p->min = 300;
    p->max = o->dev->prof->clock_mhz;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesFrequencyGetRange(zes_freq_handle_t h, zes_freq_range_t *r) {
    SM_OBJ(h, SM_FREQ);
    XS_CHECK_PTR(r);
    r->min = 300;
    r->max = o->dev->prof->clock_mhz;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesFrequencyGetState(zes_freq_handle_t h, zes_freq_state_t *st) {
    SM_OBJ(h, SM_FREQ);
    XS_CHECK_PTR(st);
    bool busy = false;
    compute_busy(o->dev, xs_now_ns(), &busy);
    double f = busy ? o->dev->prof->clock_mhz : 300;
    st->currentVoltage = -1;
    st->request = f;
    st->tdp = o->dev->prof->clock_mhz;
    st->efficient = 300;
    st->actual = f;
    st->throttleReasons = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceEnumTemperatureSensors(zes_device_handle_t h, uint32_t *pCount, zes_temp_handle_t *ph) {
    SM_DEV(h);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    ph[0] = (zes_temp_handle_t)&s->temp;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesTemperatureGetProperties(zes_temp_handle_t h, zes_temp_properties_t *p) {
    SM_OBJ(h, SM_TEMP);
    XS_CHECK_PTR(p);
    p->type = ZES_TEMP_SENSORS_GPU;
    p->onSubdevice = o->dev->is_sub;
    p->subdeviceId = o->dev->is_sub ? (uint32_t)o->dev->tile : 0;
    p->maxTemperature = 105;
    p->isCriticalTempSupported = 0;
    p->isThreshold1Supported = 0;
    p->isThreshold2Supported = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesTemperatureGetState(zes_temp_handle_t h, double *t) {
    SM_OBJ(h, SM_TEMP);
    XS_CHECK_PTR(t);
    xs_sysman *s = o->dev->sysman;
    uint64_t now = xs_now_ns();
    uint64_t busy = compute_busy(o->dev, now, NULL);
    pthread_mutex_lock(&s->mu);
    double dt = (double)(now - s->temp_ns) * 1e-9;
    if (dt > 0) {
        double util = (double)(busy - s->temp_busy) * 1e-9 / dt;
        if (util > 1) util = 1;
        if (util < 0) util = 0;
        double target = 35.0 + 50.0 * util, a = 1.0 - exp(-dt / 2.0);
        s->temp_c += (target - s->temp_c) * a;
        s->temp_ns = now;
        s->temp_busy = busy;
    }
    *t = s->temp_c;
    pthread_mutex_unlock(&s->mu);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceEnumPowerDomains(zes_device_handle_t h, uint32_t *pCount, zes_pwr_handle_t *ph) {
    SM_DEV(h);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    ph[0] = (zes_pwr_handle_t)&s->power;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesPowerGetProperties(zes_pwr_handle_t h, zes_power_properties_t *p) {
    SM_OBJ(h, SM_POWER);
    XS_CHECK_PTR(p);
    p->onSubdevice = o->dev->is_sub;
    p->subdeviceId = o->dev->is_sub ? (uint32_t)o->dev->tile : 0;
    p->canControl = 0;
    p->isEnergyThresholdSupported = 0;
    p->defaultLimit = (int32_t)(o->dev->prof->tdp_w * 1000);
    p->minLimit = -1;
    p->maxLimit = (int32_t)(o->dev->prof->tdp_w * 1000);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesPowerGetEnergyCounter(zes_pwr_handle_t h, zes_power_energy_counter_t *e) {
    SM_OBJ(h, SM_POWER);
    XS_CHECK_PTR(e);
    xs_device *d = o->dev;
    uint64_t now = xs_now_ns();
    double t = (double)(now - d->created_ns) * 1e-9;
    double busy = (double)compute_busy(d, now, NULL) * 1e-9;
    double share = (double)d->n_tiles / (double)(d->prof->tiles ? d->prof->tiles : 1);  // a tile draws its share of the card
    double tdp = d->prof->tdp_w * share, idle = d->prof->idle_w * share;
    double joules = idle * t + (tdp - idle) * busy;
    e->energy = (uint64_t)(joules * 1e6);  // microjoules
    e->timestamp = now / 1000;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zesDeviceGetState(zes_device_handle_t h, zes_device_state_t *st) {
    SM_DEV(h);
    (void)s;
    (void)d;
    XS_CHECK_PTR(st);
    // after a simulated device loss the device "needs a reset" (wedged), as i915/xe report it
    st->reset = xs_dev_lost(d) ? ZES_RESET_REASON_FLAG_WEDGED : 0;
    st->repaired = ZES_REPAIR_STATUS_UNSUPPORTED;
    return ZE_RESULT_SUCCESS;
}

// One process (this one) uses the simulated device: its device allocations and the engine types it
// has used.
XS_IMPL ze_result_t xs_zesDeviceProcessesGetState(zes_device_handle_t h, uint32_t *pCount, zes_process_state_t *ps) {
    SM_DEV(h);
    (void)s;
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ps) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    pthread_mutex_lock(&d->mem_mu);
    uint64_t used = d->mem_used;
    pthread_mutex_unlock(&d->mem_mu);
    zes_engine_type_flags_t eng = 0;
    uint64_t now = xs_now_ns();
    for (uint32_t i = 0; i < d->n_engines; i++) {
        if (!xs_engine_busy_ns(&d->engines[i], now)) continue;
        int k = d->engines[i].kind;
        eng |= k == XS_ENGINE_CCS ? ZES_ENGINE_TYPE_FLAG_COMPUTE : k == XS_ENGINE_RCS ? ZES_ENGINE_TYPE_FLAG_RENDER : ZES_ENGINE_TYPE_FLAG_DMA;
    }
    ps[0].processId = (uint32_t)getpid();
    ps[0].memSize = used;
    ps[0].sharedSize = 0;
    ps[0].engines = eng;
    return ZE_RESULT_SUCCESS;
}
